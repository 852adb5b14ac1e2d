-- Registers one dataset version (a rebuild of the same version keeps the first registration,
-- whose snapshot holds the same rows); returns a row only when the version is new.
insert into training.datasets (
    task, version, row_count, split_counts, label_balance, feature_views, parquet_path, run_id,
    horizon, purge
)
values (
    %(task)s, %(version)s, %(row_count)s, %(split_counts)s, %(label_balance)s,
    %(feature_views)s, %(parquet_path)s, %(run_id)s, %(horizon)s, %(purge)s
)
on conflict (task, version) do nothing
returning created_at
