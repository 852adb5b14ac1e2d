-- The entities of one view whose past a late change touched (before first_day) and that the view
-- has not recomputed since the change was noted: the earliest such day, no earlier than the
-- view's oldest day (nothing older exists to correct), and the entities. No row: nothing to do.
with pending as (
    select c.day, c.entity_id
    from staging.late_changes as c
    left join features.late_changes_applied as a
        on a.view_name = %(view_name)s and a.source_table = c.source_table and a.day = c.day
        and a.entity_id = c.entity_id
    where c.source_table = any(%(source_tables)s)
      and c.entity_key = %(entity_key)s
      and c.day < %(first_day)s::date
      and (a.noted_at is null or a.noted_at < c.noted_at)
)
select
    greatest(min(p.day), (select (min(feature_ts) at time zone 'UTC')::date - 1
                          from {view_table} where true{variant_filter})),
    array_agg(distinct p.entity_id)
from pending as p
having count(*) > 0 and exists (select 1 from {view_table} where true{variant_filter})
