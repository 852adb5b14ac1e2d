-- The snapshot file and feature view versions of one registered training dataset version.
select parquet_path, feature_views
from training.datasets
where task = %(task)s and version = %(version)s
