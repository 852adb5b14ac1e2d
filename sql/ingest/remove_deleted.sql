-- Removes from a staging table without history every row that a tombstone in _gone says the
-- source deleted, records each delete in quality.deleted_rows, and notes the entities whose
-- past the delete changed in staging.late_changes (as ingest/note_late_changes does for writes).
with removed as (
    delete from {staging_table} as t
    using _gone as g
    where t.id = g.id
    returning t.*, g.partition_key as gone_partition, g.detected_at
),
noted as (
    insert into staging.late_changes as c (source_table, day, entity_key, entity_id, noted_at)
    select distinct %(source_table)s, {valid_day}, e.entity_key, e.entity_id, now()
    from removed as t
    cross join lateral (values {entities}) as e (entity_key, entity_id)
    where e.entity_id is not null
      and {valid_day} < %(first_partition)s::date
      and {valid_day} >= %(first_partition_key)s::date
    on conflict (source_table, day, entity_key, entity_id) do update set noted_at = excluded.noted_at
)
insert into quality.deleted_rows
    (source_table, source_id, last_updated_at, partition_key, load_id, deleted_at)
select %(source_table)s, id::text, updated_at, gone_partition, %(load_id)s, detected_at
from removed
on conflict do nothing
