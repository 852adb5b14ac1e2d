-- Records that the view has recomputed every late change of its source tables up to last_day
-- (the range it just wrote starts at the earliest pending one, or none predates its rows).
insert into features.late_changes_applied as a (view_name, source_table, day, noted_at)
select %(view_name)s, c.source_table, c.day, c.noted_at
from staging.late_changes as c
where c.source_table = any(%(source_tables)s)
  and c.day <= %(last_day)s::date
on conflict (view_name, source_table, day) do update set noted_at = excluded.noted_at
