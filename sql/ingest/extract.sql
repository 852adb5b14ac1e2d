-- Rows of one operational table whose updated_at falls in [start, end), every value as text,
-- with the UTC day of updated_at as the partition key. Rows older than the first partition
-- belong to it (the initial load), so none is left behind. Runs on the source database.
select
    %(load_id)s,
    greatest(to_char(s.updated_at at time zone 'UTC', 'YYYY-MM-DD'), %(first_partition_key)s),
    {columns}
from {source_table} as s
where s.updated_at >= %(start)s and s.updated_at < %(end)s
