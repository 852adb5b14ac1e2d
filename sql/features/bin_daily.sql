-- Bin features: one row per (bin_id, day) for the days in [first_day, last_day] on which the bin
-- was installed and not yet removed. Windows end with the day; values are valid from its end
-- (feature_ts = day + 1, UTC). Reads 89 days before first_day so every window is complete. The
-- bin's type, capacity and status are read as of feature_ts from staging history; a removal
-- counts from the version's updated_at (the change that removed it). The bins x days grid starts
-- 27 days before first_day (the 28-day windows); the days before it only feed the last service
-- and the last event, one value per bin (before_grid): a grid of 89 days made one night's bins 3x
-- the rows to sort (128 s of a night at 100,000 customers, bench nights_l).
with days as (
    select d::date as day
    from generate_series(%(first_day)s::date - 27, %(last_day)s::date, interval '1 day') as d
),
bins as (  -- every bin (or each entity asked for) with a version valid in the range
    select distinct h.id as bin_id
    from staging.bins_history as h
    where (%(entities)s::uuid[] is null or h.id = any(%(entities)s::uuid[]))
      and h.installed_at < (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
      and h.valid_from <= (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
      and (h.valid_to is null
           or h.valid_to > (%(first_day)s::date + 1)::timestamp at time zone 'UTC')
),
daily as (
    select
        e.bin_id,
        (e.service_date at time zone 'UTC')::date as day,
        -- numeric, not float: sums over numeric slide in O(1) per row (floats re-add the frame)
        coalesce(sum(e.fill_level_pct::numeric), 0) as fill_sum,
        count(e.fill_level_pct) as fill_n,
        max(e.fill_level_pct) as fill_max,
        count(*) filter (where e.event_type = 'overflow_report') as overflows,
        count(*) filter (where e.event_type = 'pickup') as pickups,
        coalesce(sum(e.weight_kg::numeric) filter (where e.event_type = 'pickup'), 0) as kg,
        max(e.service_date) as last_ts
    from staging.service_events as e
    where e.bin_id is not null
      and e.service_date >= (%(first_day)s::date - 89)::timestamp at time zone 'UTC'
      and e.service_date < (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
    group by 1, 2
),
before_grid as (
    select
        bin_id,
        max(case when pickups > 0 then day end) as last_service_day,
        max(last_ts) as last_event_ts
    from daily
    where day < %(first_day)s::date - 27
    group by bin_id
),
windowed as (
    select
        b.bin_id, d.day,
        (sum(coalesce(x.fill_sum, 0)) over w7 / nullif(sum(coalesce(x.fill_n, 0)) over w7, 0))::float8
            as avg_fill_level_7d,
        (sum(coalesce(x.fill_sum, 0)) over w28 / nullif(sum(coalesce(x.fill_n, 0)) over w28, 0))::float8
            as avg_fill_level_28d,
        max(x.fill_max) over w28 as max_fill_level_28d,
        sum(coalesce(x.overflows, 0)) over w28 as overflow_reports_28d,
        sum(coalesce(x.pickups, 0)) over w28 as pickups_28d,
        (sum(coalesce(x.kg, 0)) over w7)::float8 as kg_collected_7d,
        (sum(coalesce(x.kg, 0)) over w28)::float8 as kg_collected_28d,
        -- running maxima (cheap: the frame only grows) over the grid and the days before it,
        -- capped to 90 days below
        greatest(max(case when x.pickups > 0 then d.day end) over so_far, p.last_service_day)
            as last_service_day,
        greatest(max(x.last_ts) over so_far, p.last_event_ts) as last_event_ts
    from bins as b
    cross join days as d
    left join daily as x on x.bin_id = b.bin_id and x.day = d.day
    left join before_grid as p on p.bin_id = b.bin_id
    window
        w7 as (partition by b.bin_id order by d.day rows between 6 preceding and current row),
        w28 as (partition by b.bin_id order by d.day rows between 27 preceding and current row),
        so_far as (
            partition by b.bin_id order by d.day rows between unbounded preceding and current row
        )
)
select
    w.bin_id,
    t.feature_ts,
    greatest(
        case when w.last_event_ts >= (w.day - 89)::timestamp at time zone 'UTC' then w.last_event_ts end,
        v.installed_at,
        v.valid_from
    ) as source_max_ts,
    v.bin_type,
    v.capacity_liters,
    extract(isodow from w.day)::smallint as weekday,
    extract(month from w.day)::smallint as month,
    w.avg_fill_level_7d,
    w.avg_fill_level_28d,
    w.max_fill_level_28d,
    w.overflow_reports_28d,
    w.pickups_28d,
    w.kg_collected_7d,
    w.kg_collected_28d,
    case when w.day - w.last_service_day <= 89 then w.day - w.last_service_day end
        as days_since_service
from windowed as w
cross join lateral (select (w.day + 1)::timestamp at time zone 'UTC' as feature_ts) as t
join staging.bins_history as v  -- the bin as of feature_ts
    on v.id = w.bin_id
    and v.valid_from <= t.feature_ts
    and (v.valid_to is null or v.valid_to > t.feature_ts)
where w.day between %(first_day)s::date and %(last_day)s::date
  and v.installed_at < t.feature_ts
  and not (v.status = 'removed' and v.updated_at <= t.feature_ts)
