-- The latest training dataset version of each task: its splits, label balance and Parquet file.
select distinct on (task) task, version, split_counts, label_balance, parquet_path
from training.datasets
order by task, created_at desc
