-- Demand labels, one row per (bin_id, label_ts): label_ts is noon UTC of each as-of date on the
-- grid [first_date, last_date]; label = kg collected by pickups of the bin with service_date in
-- (label_ts, label_ts + horizon] (0 when none). Bins not yet created at label_ts get no row, nor
-- bins already removed: a removed bin's updated_at is its removal (the last change it can have).
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
join staging.bins as b
    on b.created_at <= g.label_ts
    and not (b.status = 'removed' and b.updated_at <= g.label_ts)
where g.label_ts + %(horizon)s::interval <= o.until
