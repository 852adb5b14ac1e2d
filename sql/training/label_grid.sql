-- The label grid: one row per as-of time label_ts, noon UTC of each date from first_date to
-- last_date (bound dates, both included) in steps of grid (a bound interval). The body of the
-- grid CTE that every training/labels_<task> query composes in (Task.label_query).
select (d + interval '12 hours') at time zone 'utc' as label_ts
from generate_series(
    %(first_date)s::timestamp, %(last_date)s::timestamp, %(grid)s::interval
) as d
