-- Operations KPIs per organization and UTC day (grain: organization_id, day) from the staged
-- service events: pickups, missed pickups and their rate among scheduled pickups (pickups +
-- missed), overflow reports, complaints, kg collected and the mean fill level at pickup.
select
    organization_id,
    (service_date at time zone 'UTC')::date as day,
    count(*) filter (where event_type = 'pickup') as pickups,
    count(*) filter (where event_type = 'missed_pickup') as missed_pickups,
    count(*) filter (where event_type = 'missed_pickup')::float8
        / nullif(count(*) filter (where event_type in ('pickup', 'missed_pickup')), 0)
        as missed_pickup_rate,
    count(*) filter (where event_type = 'overflow_report') as overflow_reports,
    count(*) filter (where event_type = 'complaint') as complaints,
    coalesce(sum(weight_kg) filter (where event_type = 'pickup'), 0)::float8 as kg_collected,
    (avg(fill_level_pct) filter (where event_type = 'pickup'))::float8 as avg_fill_level
from staging.service_events
group by organization_id, (service_date at time zone 'UTC')::date
