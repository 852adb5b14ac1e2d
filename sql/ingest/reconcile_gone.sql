-- Staged ids in the differing buckets and the reconcile scope that the source no longer shows
-- there: deleted, or moved out of the scope (checked next on the source).
select s.id::text
from {staging_table} as s
where left(s.id::text, 2) = any(%(buckets)s)
  and {scope}
  and not exists (select 1 from _source_keys as k where k.id = s.id)
