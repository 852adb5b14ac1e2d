-- Churn labels, one row per (customer_id, label_ts): label_ts is noon UTC of each as-of date on
-- the grid [first_date, last_date]; label 1 when churned_at falls in (label_ts, label_ts +
-- horizon], else 0. Customers not yet created or already churned at label_ts get no row, and
-- as-of dates whose horizon reaches past the latest service_date in staging are left out.
with grid as (
    select (d + interval '12 hours') at time zone 'utc' as label_ts
    from generate_series(
        %(first_date)s::timestamp, %(last_date)s::timestamp, %(grid)s::interval
    ) as d
),
observed as (
    select max(service_date) as until from staging.service_events
)
select
    c.id as customer_id,
    g.label_ts,
    (c.churned_at is not null and c.churned_at <= g.label_ts + %(horizon)s::interval)::integer
        as label
from grid as g
cross join observed as o
join staging.customers as c
    on c.created_at <= g.label_ts
    and (c.churned_at is null or c.churned_at > g.label_ts)
where g.label_ts + %(horizon)s::interval <= o.until
