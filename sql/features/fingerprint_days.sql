-- Records the content fingerprint of every day in [first_day, last_day] of one feature view, as
-- written (inside the writer's transaction): md5 of the day's rows as text in entity order. A
-- day without rows is recorded with 0 rows, so it is still evidence of what was written. A view
-- with variants (topic fits) is fingerprinted per variant. The bounds on f.feature_ts are the
-- join's own, spelled out so the planner reads the range by index instead of hashing the whole
-- view (a year of bin_daily at 100,000 customers: 25 s for one day).
insert into features.day_fingerprints as d
    (view_name, variant, day, row_count, fingerprint, run_id)
select %(view_name)s, %(variant)s, g.day::date, count(f.*),
    md5(coalesce(string_agg(f::text, E'\n' order by f.{entity_key}), '')), %(run_id)s
from generate_series(%(first_day)s::date, %(last_day)s::date, interval '1 day') as g (day)
left join {view_table} as f
    on f.feature_ts = (g.day::date + 1)::timestamp at time zone 'UTC'
    and f.feature_ts > %(first_day)s::timestamp at time zone 'UTC'
    and f.feature_ts <= (%(last_day)s::date + 1)::timestamp at time zone 'UTC'{variant_filter}
group by g.day
on conflict (view_name, variant, day) do update
set row_count = excluded.row_count,
    fingerprint = excluded.fingerprint,
    run_id = excluded.run_id,
    written_at = now()
