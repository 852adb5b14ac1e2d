-- Vehicle features: one row per (vehicle_id, day) for the days in [first_day, last_day] on which
-- the vehicle was commissioned. Windows end with the day; values are valid from its end
-- (feature_ts = day + 1, UTC). Reads 179 days before first_day so every window is complete.
-- km_since_maintenance is never null: without a maintenance in 180 days it is the km of those
-- days, a lower bound, so wear stays ordered (a NULL would rank the most worn vehicles lowest).
-- Type and capacity are read as of feature_ts from staging history. The odometer is the last
-- reading taken by then (a version's odometer_km at its updated_at; readings are taken in the
-- evening, so a reading counts the route of its own UTC day) plus the km of the routes of the
-- days after it; no reading yet: NULL. Routes count by route_date (valid time), never by when
-- they were closed or corrected (updated_at).
with days as (
    select d::date as day
    from generate_series(%(first_day)s::date - 179, %(last_day)s::date, interval '1 day') as d
),
vehicles as (  -- every vehicle (or each entity asked for) with a version valid in the range
    select distinct h.id as vehicle_id
    from staging.vehicles_history as h
    where (%(entities)s::uuid[] is null or h.id = any(%(entities)s::uuid[]))
      and h.commissioned_at < (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
      and h.valid_from <= (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
      and (h.valid_to is null
           or h.valid_to > (%(first_day)s::date + 1)::timestamp at time zone 'UTC')
),
route_days as (
    -- numeric, not float: sums over numeric slide in O(1) per row (floats re-add the frame)
    select r.vehicle_id, r.route_date as day, sum(r.total_distance_km::numeric) as km,
           count(*) filter (where r.completed_stops > 0) as routes,
           r.route_date::timestamp at time zone 'UTC' as last_ts  -- valid time: the route's day
    from staging.routes as r
    where r.route_date between %(first_day)s::date - 179 and %(last_day)s::date
    group by r.vehicle_id, r.route_date
),
event_days as (
    select
        e.vehicle_id,
        (e.service_date at time zone 'UTC')::date as day,
        count(*) filter (where e.event_type = 'maintenance') as maintenance,
        count(*) filter (where e.event_type = 'breakdown') as breakdowns,
        coalesce(sum(e.weight_kg::numeric) filter (where e.event_type = 'pickup'), 0) as kg,
        max(e.service_date) as last_ts
    from staging.service_events as e
    where e.vehicle_id is not null
      and e.service_date >= (%(first_day)s::date - 179)::timestamp at time zone 'UTC'
      and e.service_date < (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
    group by 1, 2
),
dense as (
    select
        v.vehicle_id, d.day,
        coalesce(r.km, 0) as km, coalesce(r.routes, 0) as routes,
        coalesce(e.maintenance, 0) as maintenance, coalesce(e.breakdowns, 0) as breakdowns,
        coalesce(e.kg, 0) as kg, greatest(r.last_ts, e.last_ts) as last_ts
    from vehicles as v
    cross join days as d
    left join route_days as r on r.vehicle_id = v.vehicle_id and r.day = d.day
    left join event_days as e on e.vehicle_id = v.vehicle_id and e.day = d.day
),
windowed as (
    select
        vehicle_id, day,
        sum(km) over w7 as km_7d,
        sum(km) over w30 as km_30d,
        sum(routes) over w30 as route_days_30d,
        max(case when maintenance > 0 then day end) over w180 as last_maintenance_day,
        -- no maintenance in the window: the window's km, a lower bound (maintenance_180d = 0)
        coalesce(
            sum_km_so_far - max(case when maintenance > 0 then sum_km_so_far end) over w180,
            sum(km) over w180
        ) as km_since_maintenance,
        sum(maintenance) over w180 as maintenance_180d,
        sum(breakdowns) over w90 as breakdowns_90d,
        sum(kg) over w30 as kg_30d,
        max(last_ts) over w180 as last_source_ts
    from (
        select dense.*, sum(km) over (
            partition by vehicle_id order by day rows between unbounded preceding and current row
        ) as sum_km_so_far
        from dense
    ) as dense
    window
        w7 as (partition by vehicle_id order by day rows between 6 preceding and current row),
        w30 as (partition by vehicle_id order by day rows between 29 preceding and current row),
        w90 as (partition by vehicle_id order by day rows between 89 preceding and current row),
        w180 as (partition by vehicle_id order by day rows between 179 preceding and current row)
)
select
    w.vehicle_id,
    t.feature_ts,
    greatest(w.last_source_ts, v.commissioned_at, v.valid_from, o.updated_at) as source_max_ts,
    v.vehicle_type,
    (w.day + 1 - (v.commissioned_at at time zone 'UTC')::date) as age_days,
    (o.odometer_km::numeric + coalesce((
        select sum(r.total_distance_km::numeric)
        from staging.routes as r
        where r.vehicle_id = w.vehicle_id
          and r.route_date > o.reading_day
          and r.route_date <= w.day
    ), 0))::float8 as odometer_km,
    w.km_7d::float8,
    w.km_30d::float8,
    w.route_days_30d,
    w.day - w.last_maintenance_day as days_since_maintenance,
    w.km_since_maintenance::float8,
    w.maintenance_180d,
    w.breakdowns_90d,
    (w.kg_30d / nullif(v.capacity_kg::numeric * w.route_days_30d, 0))::float8
        as capacity_utilisation_30d
from windowed as w
cross join lateral (select (w.day + 1)::timestamp at time zone 'UTC' as feature_ts) as t
join staging.vehicles_history as v  -- the vehicle as of feature_ts
    on v.id = w.vehicle_id
    and v.valid_from <= t.feature_ts
    and (v.valid_to is null or v.valid_to > t.feature_ts)
left join lateral (  -- the last odometer reading taken by feature_ts
    select r.odometer_km, r.updated_at, (r.updated_at at time zone 'UTC')::date as reading_day
    from staging.vehicles_history as r
    where r.id = w.vehicle_id
      and r.updated_at <= t.feature_ts
      and r.odometer_km is not null
    order by r.updated_at desc
    limit 1
) as o on true
where w.day between %(first_day)s::date and %(last_day)s::date
  and v.commissioned_at < t.feature_ts
