-- Writes every clean, not superseded version in {batch} into the history table, one row per
-- (id, updated_at); a re-run replaces the version's values. valid_from/valid_to are set by
-- ingest/valid_times. Returns (id, partition_key) of each row written, for the counts.
insert into {history_table} ({columns}, partition_key, load_id, staged_at, valid_from)
select {columns}, partition_key, %(load_id)s, now(), updated_at
from {batch}
where reason is null and not superseded
on conflict (id, updated_at) do update
set {updates},
    partition_key = excluded.partition_key,
    load_id = excluded.load_id,
    staged_at = excluded.staged_at
returning id, partition_key
