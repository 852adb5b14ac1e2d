-- Per key bucket (the first two hex digits of the id) of one table's rows in the reconcile scope:
-- the row count and a digest of every (id, updated_at). Runs on the source and on staging alike;
-- only the keys of buckets whose digests differ are compared one by one.
select
    left(id::text, 2) as bucket,
    count(*) as row_count,
    md5(string_agg(
        id::text || '@' || coalesce(extract(epoch from updated_at)::text, '-'), ',' order by id
    )) as digest
from {table}
where {scope}
group by 1
