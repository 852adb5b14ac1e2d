-- Records the outcome counts of every partition in _batch (replacing earlier runs' counts), so
-- the accounting of each partition stays queryable after the run: in = staged + rejected + superseded.
insert into quality.ingest_counts as c
    (source_table, partition_key, rows_in, rows_staged, rows_rejected, rows_superseded, run_id)
select
    %(source_table)s,
    partition_key,
    count(*),
    count(*) filter (where reason is null and version_rank = 1),
    count(*) filter (where reason is not null),
    count(*) filter (where reason is null and version_rank > 1),
    %(run_id)s
from _batch
group by partition_key
on conflict (source_table, partition_key) do update
set rows_in = excluded.rows_in,
    rows_staged = excluded.rows_staged,
    rows_rejected = excluded.rows_rejected,
    rows_superseded = excluded.rows_superseded,
    run_id = excluded.run_id,
    counted_at = now()
returning rows_in, rows_staged, rows_rejected, rows_superseded
