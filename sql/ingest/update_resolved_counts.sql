-- Refreshes rows_resolved of the partitions whose rejections a heal just resolved (outside the
-- run's range, so their other counts stand).
update quality.ingest_counts as c
set rows_resolved = (
    select count(*) from quality.rejected_rows as r
    where r.source_table = c.source_table and r.partition_key = c.partition_key
      and r.resolved_at is not null
)
where c.source_table = %(source_table)s
  and c.partition_key = any(%(partitions)s)
