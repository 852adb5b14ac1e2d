-- Records that the view has recomputed the pending late changes of its entities up to last_day
-- (it just wrote them, or none predates its rows).
insert into features.late_changes_applied as a (view_name, source_table, day, entity_id, noted_at)
select %(view_name)s, c.source_table, c.day, c.entity_id, c.noted_at
from staging.late_changes as c
where c.source_table = any(%(source_tables)s)
  and c.entity_key = %(entity_key)s
  and c.day <= %(last_day)s::date
  and not exists (
      select 1 from features.late_changes_applied as done
      where done.view_name = %(view_name)s and done.source_table = c.source_table
        and done.day = c.day and done.entity_id = c.entity_id and done.noted_at >= c.noted_at
  )
on conflict (view_name, source_table, day, entity_id) do update set noted_at = excluded.noted_at
