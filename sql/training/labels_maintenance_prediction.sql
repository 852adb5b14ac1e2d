-- Breakdown labels, one row per (vehicle_id, label_ts): label_ts is noon UTC of each as-of date
-- on the grid [first_date, last_date]; label 1 when a breakdown event of the vehicle has its
-- service_date in (label_ts, label_ts + horizon], else 0. Vehicles not yet created at label_ts
-- get no row; retired vehicles get none at all, because staging keeps no retirement time (a
-- retired vehicle is out of service for scoring, and its updated_at says nothing of when).
-- As-of dates whose horizon reaches past the latest service_date in staging are left out.
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
    v.id as vehicle_id,
    g.label_ts,
    exists (
        select 1
        from staging.service_events as e
        where e.vehicle_id = v.id
            and e.event_type = 'breakdown'
            and e.service_date > g.label_ts
            and e.service_date <= g.label_ts + %(horizon)s::interval
    )::integer as label
from grid as g
cross join observed as o
join staging.vehicles as v
    on v.created_at <= g.label_ts
    and v.status <> 'retired'
where g.label_ts + %(horizon)s::interval <= o.until
