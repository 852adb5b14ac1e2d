-- The earliest day before first_day that a late change of one of the view's source tables
-- touched and the view has not recomputed since the change was noted, but no earlier than the
-- view's oldest day (nothing older exists to correct). NULL: nothing to recompute.
with pending as (
    select min(c.day) as day
    from staging.late_changes as c
    left join features.late_changes_applied as a
        on a.view_name = %(view_name)s and a.source_table = c.source_table and a.day = c.day
    where c.source_table = any(%(source_tables)s)
      and c.day < %(first_day)s::date
      and (a.noted_at is null or a.noted_at < c.noted_at)
)
select greatest(p.day, (select (min(feature_ts) at time zone 'UTC')::date - 1 from {view_table}))
from pending as p
where p.day is not null
  and exists (select 1 from {view_table})
