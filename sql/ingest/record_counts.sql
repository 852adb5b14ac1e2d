-- Stores the checked counts of _counts (ingest/count_outcomes) in quality.ingest_counts,
-- replacing earlier runs' counts of those partitions; the table's check enforces the identity.
insert into quality.ingest_counts as c (
    source_table, partition_key, rows_in, rows_staged, rows_rejected, rows_superseded,
    rows_resolved, rows_deleted, run_id
)
select
    %(source_table)s, partition_key, rows_in, rows_staged, rows_rejected, rows_superseded,
    rows_resolved, rows_deleted, %(run_id)s
from _counts
on conflict (source_table, partition_key) do update
set rows_in = excluded.rows_in,
    rows_staged = excluded.rows_staged,
    rows_rejected = excluded.rows_rejected,
    rows_superseded = excluded.rows_superseded,
    rows_resolved = excluded.rows_resolved,
    rows_deleted = excluded.rows_deleted,
    run_id = excluded.run_id,
    counted_at = now()
