-- The current state of the ids in _touched: each id's newest version, unless the source deleted
-- the row (its newest version carries deleted_at).
insert into {staging_table} ({columns}, partition_key, load_id, staged_at)
select {columns}, partition_key, load_id, staged_at
from (
    select distinct on (h.id) h.*
    from {history_table} as h
    where h.id in (select id from _touched)
    order by h.id, h.updated_at desc
) as newest
where deleted_at is null
