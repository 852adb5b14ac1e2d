-- Demand labels, one row per (bin_id, label_ts): label_ts is noon UTC of each as-of date on the
-- grid [first_date, last_date]; label = kg collected by pickups of the bin with service_date in
-- (label_ts, label_ts + horizon] (0 when none). The population is the bins as they stood at
-- label_ts (their version valid then, from staging history): not yet created, or already
-- removed (a removal counts from its version's updated_at) -> no row.
-- As-of dates whose horizon reaches past the latest service_date in staging are left out. The
-- grid and observed CTEs are shared fragments: training/label_grid, training/observed_horizon.
with grid as (
{label_grid}
),
observed as (
{observed_horizon}
)
select
    b.id as bin_id,
    g.label_ts,
    coalesce((
        select sum(e.weight_kg)
        from staging.service_events as e
        where e.bin_id = b.id
            and e.event_type = 'pickup'
            and e.service_date > g.label_ts
            and e.service_date <= g.label_ts + %(horizon)s::interval
    ), 0)::double precision as label
from grid as g
cross join observed as o
join staging.bins_history as b
    on b.valid_from <= g.label_ts
    and (b.valid_to is null or b.valid_to > g.label_ts)
    and b.created_at <= g.label_ts
    and not (b.status = 'removed' and b.updated_at <= g.label_ts)
where g.label_ts + %(horizon)s::interval <= o.until
