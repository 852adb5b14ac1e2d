-- Applies the newest clean version of each id in _batch to a staging table. A version older than
-- the one already staged never overwrites it, so partitions can be (re)applied in any order.
insert into {staging_table} ({columns}, partition_key, load_id, staged_at)
select {columns}, partition_key, %(load_id)s, now()
from _batch
where reason is null and version_rank = 1
on conflict (id) do update
set {updates},
    partition_key = excluded.partition_key,
    load_id = excluded.load_id,
    staged_at = excluded.staged_at
where {staging_table}.updated_at <= excluded.updated_at
