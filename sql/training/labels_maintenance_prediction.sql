-- Breakdown labels, one row per (vehicle_id, label_ts): label_ts is noon UTC of each as-of date
-- on the grid [first_date, last_date]; label 1 when a breakdown event of the vehicle has its
-- service_date in (label_ts, label_ts + horizon], else 0. The population is the fleet as it
-- stood at label_ts (each vehicle's version valid then, from staging history): not yet created,
-- or already retired (a retirement counts from its version's updated_at) -> no row. A vehicle
-- retired later keeps its earlier rows: no survivorship bias.
-- As-of dates whose horizon reaches past the latest service_date in staging are left out. The
-- grid and observed CTEs are shared fragments: training/label_grid, training/observed_horizon.
with grid as (
{label_grid}
),
observed as (
{observed_horizon}
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
join staging.vehicles_history as v
    on v.valid_from <= g.label_ts
    and (v.valid_to is null or v.valid_to > g.label_ts)
    and v.created_at <= g.label_ts
    and not (v.status = 'retired' and v.updated_at <= g.label_ts)
where g.label_ts + %(horizon)s::interval <= o.until
