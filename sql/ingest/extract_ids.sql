-- Rows of one operational table picked by id (the reconcile's finds) that no partition's
-- updated_at window lands (changed before the run's window, or without updated_at), every value
-- as text, in the range's last partition: the day the platform saw them. Runs on the source.
select
    %(load_id)s,
    %(last_partition)s,
    {columns}
from {source_table} as s
where s.id = any(%(ids)s::uuid[])
  and (s.updated_at is null or s.updated_at < %(start)s)
