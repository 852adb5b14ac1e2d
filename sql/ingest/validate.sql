-- Validates the raw rows of a partition range into the temp table _batch, one row per landed row:
-- its typed values (null where unparseable), `reason` = the first rule it breaks (null when clean)
-- and `version_rank` (1 = the newest clean version of its id in the batch).
create temp table _batch on commit drop as
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
    ) as version_rank
from checked as c
