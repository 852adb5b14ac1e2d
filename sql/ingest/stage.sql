-- Applies the newest clean version of each id in {batch} to a staging table without history
-- (service events keep their latest version). Rows marked superseded are older than a version
-- in the batch or in staging, so partitions can be (re)applied in any order. Returns
-- (id, partition_key) of each row written, for the counts.
insert into {staging_table} ({columns}, partition_key, load_id, staged_at)
select {columns}, partition_key, %(load_id)s, now()
from {batch}
where reason is null and not superseded
on conflict (id) do update
set {updates},
    partition_key = excluded.partition_key,
    load_id = excluded.load_id,
    staged_at = excluded.staged_at
returning id, partition_key
