-- Closes the newest version of each id that a tombstone in _gone says the source deleted
-- (valid_to = deleted_at = when the platform saw it gone), records each delete in
-- quality.deleted_rows, and adds the ids to _touched so their current state is rebuilt.
with closed as (
    update {history_table} as h
    set valid_to = g.detected_at, deleted_at = g.detected_at
    from _gone as g
    where h.id = g.id
      and h.deleted_at is null
      and h.updated_at = (select max(n.updated_at) from {history_table} as n where n.id = g.id)
    returning h.id, h.updated_at, g.partition_key, g.detected_at
),
evidence as (
    insert into quality.deleted_rows
        (source_table, source_id, last_updated_at, partition_key, load_id, deleted_at)
    select %(source_table)s, id::text, updated_at, partition_key, %(load_id)s, detected_at
    from closed
    on conflict do nothing
)
insert into _touched (id)
select id from closed
on conflict do nothing
