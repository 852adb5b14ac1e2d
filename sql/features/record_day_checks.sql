-- Records each check's outcome on each day of [first_day, last_day] of one feature view, on the
-- fingerprint that day has (written by this run, whose lock is still held): the evidence the
-- promotion gate reads per day.
insert into quality.view_day_checks
    (view_name, variant, day, fingerprint, check_name, blocking, passed, run_id)
select d.view_name, d.variant, d.day, d.fingerprint, c.check_name, c.blocking, c.passed, %(run_id)s
from features.day_fingerprints as d
cross join unnest(%(check_names)s::text[], %(blocking)s::boolean[], %(passed)s::boolean[])
    as c (check_name, blocking, passed)
where d.view_name = %(view_name)s and d.variant = %(variant)s
  and d.day between %(first_day)s::date and %(last_day)s::date
