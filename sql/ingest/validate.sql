-- Validates the raw rows of a partition range into the temp table {batch}, one row per landed
-- row: its typed values (null where unparseable), `reason` = the first rule it breaks (null when
-- clean), `version_rank` (1 = the newest clean version of its id in the batch),
-- `same_version_rank` (1 = the first copy of one (id, updated_at) version), `superseded` (set by
-- the write step: clean, but a newer or identical version wins) and `changed` (set by the write
-- step: false when staging already holds this version with these values).
create temp table {batch} on commit drop as
with typed as (
    select
        r.partition_key,
        r.loaded_at,
        r.id as source_id,
        to_jsonb(r) - 'partition_key' - 'load_id' - 'loaded_at' as raw_row,
        {parse_reason} as parse_reason,
        {casts}
    from {raw_table} as r
    where r.partition_key between %(first_partition)s and %(last_partition)s
),
checked as (
    select t.*, coalesce(t.parse_reason, {rule_reason}) as reason
    from typed as t
)
select
    c.*,
    row_number() over (
        partition by c.reason is null, c.id order by c.updated_at desc, c.loaded_at desc
    ) as version_rank,
    row_number() over (
        partition by c.reason is null, c.id, c.updated_at order by c.loaded_at desc
    ) as same_version_rank,
    false as superseded,
    true as changed
from checked as c
