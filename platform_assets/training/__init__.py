"""Training datasets: labels from staging facts, point-in-time joined to the feature views."""
