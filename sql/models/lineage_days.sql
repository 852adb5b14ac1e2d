-- The feature-view evidence of one dataset version, one row per (view, blocking check): over
-- every day the dataset read (training.dataset_inputs), the latest outcome of the check on
-- exactly the fingerprint read (of the variant read). A day with no fingerprint or no outcome on
-- it is unchecked.
with expected as (
    select i.view_name, i.variant, i.day, i.fingerprint, c.check_name
    from training.dataset_inputs as i
    join jsonb_each(%(checks)s::jsonb) as v (view_name, names) on v.view_name = i.view_name
    cross join lateral jsonb_array_elements_text(v.names) as c (check_name)
    where i.task = %(task)s and i.version = %(version)s
),
latest as (
    select e.view_name, e.day, e.check_name, r.passed, r.run_id
    from expected as e
    left join lateral (
        select q.passed, q.run_id
        from quality.view_day_checks as q
        where q.view_name = e.view_name and q.variant = e.variant and q.day = e.day
          and q.fingerprint = e.fingerprint
          and q.check_name = e.check_name
        order by q.checked_at desc
        limit 1
    ) as r on true
)
select
    view_name,
    check_name,
    count(*) as days,
    count(*) filter (where passed is null) as unchecked_days,
    min(day) filter (where passed is null) as first_unchecked_day,
    count(*) filter (where not passed) as failed_days,
    min(day) filter (where not passed) as first_failed_day,
    (array_agg(run_id order by day) filter (where not passed))[1] as failed_run_id
from latest
group by view_name, check_name
order by view_name, check_name
