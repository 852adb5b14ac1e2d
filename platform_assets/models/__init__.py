"""Models: training on the feature store's datasets, the registry, the promotion gate, scoring."""
