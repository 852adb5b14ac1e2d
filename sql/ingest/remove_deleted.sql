-- Removes from a staging table without history every row that a tombstone in the range says the
-- source deleted, records each delete in quality.deleted_rows, and notes the deleted rows' past
-- valid days in staging.late_changes (as ingest/note_late_changes does for written rows).
with gone as (
    select distinct on (d.id) d.id::uuid as id, d.partition_key, d.detected_at
    from raw.deletions as d
    where d.source_table = %(source_table)s
      and d.partition_key between %(first_partition)s and %(last_partition)s
    order by d.id, d.detected_at
),
removed as (
    delete from {staging_table} as t
    using gone as g
    where t.id = g.id
    returning t.id, t.updated_at, g.partition_key, g.detected_at,
        {valid_day} as valid_day
),
noted as (
    insert into staging.late_changes as c (source_table, day, noted_at)
    select distinct %(source_table)s, valid_day, now()
    from removed
    where valid_day < %(first_partition)s::date and valid_day >= %(first_partition_key)s::date
    on conflict (source_table, day) do update set noted_at = excluded.noted_at
)
insert into quality.deleted_rows
    (source_table, source_id, last_updated_at, partition_key, load_id, deleted_at)
select %(source_table)s, id::text, updated_at, partition_key, %(load_id)s, detected_at
from removed
on conflict do nothing
