-- The (id, updated_at) of the source rows in the reconcile scope whose bucket differs from
-- staging's. Runs on the source database; the rows are copied into the temp table _source_keys.
select id, updated_at
from {table}
where left(id::text, 2) = any(%(buckets)s)
  and {scope}
