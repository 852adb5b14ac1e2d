-- Customer features: one row per (customer_id, day) for the days in [first_day, last_day] on
-- which the customer existed and had not churned by the end of the day. Windows end with the
-- day; the values are valid from its end (feature_ts = day + 1, UTC). Reads 89 days of events
-- before first_day so windows are complete at partition edges. The customer's attributes and
-- bins are read as of feature_ts from staging history (the version valid then), never from the
-- current row; source_max_ts folds in the valid_from of every version read.
with {customer_range},
daily as (
    select
        e.customer_id,
        (e.service_date at time zone 'UTC')::date as day,
        count(*) filter (where e.event_type = 'pickup') as pickups,
        count(*) filter (where e.event_type = 'missed_pickup') as missed,
        count(*) filter (where e.event_type = 'complaint') as complaints,
        count(*) filter (where e.event_type = 'overflow_report') as overflows,
        -- numeric, not float: sums over numeric slide in O(1) per row (floats re-add the frame)
        coalesce(sum(e.fill_level_pct::numeric), 0) as fill_sum,
        count(e.fill_level_pct) as fill_n,
        coalesce(sum(e.weight_kg::numeric) filter (where e.event_type = 'pickup'), 0) as kg,
        max(e.service_date) as last_ts
    from staging.service_events as e
    where e.customer_id is not null
      and e.service_date >= (%(first_day)s::date - 89)::timestamp at time zone 'UTC'
      and e.service_date < (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
    group by 1, 2
),
dense as (
    select
        c.customer_id, d.day,
        coalesce(x.pickups, 0) as pickups, coalesce(x.missed, 0) as missed,
        coalesce(x.complaints, 0) as complaints, coalesce(x.overflows, 0) as overflows,
        coalesce(x.fill_sum, 0) as fill_sum, coalesce(x.fill_n, 0) as fill_n,
        coalesce(x.kg, 0) as kg, x.last_ts
    from customers as c
    cross join days as d
    left join daily as x on x.customer_id = c.customer_id and x.day = d.day
),
windowed as (
    select
        customer_id, day,
        sum(pickups) over w7 as pickups_7d,
        sum(pickups) over w30 as pickups_30d,
        sum(pickups) over w90 as pickups_90d,
        sum(missed) over w7 as missed_pickups_7d,
        sum(missed) over w30 as missed_pickups_30d,
        sum(missed) over w90 as missed_pickups_90d,
        sum(complaints) over w7 as complaints_7d,
        sum(complaints) over w30 as complaints_30d,
        sum(complaints) over w90 as complaints_90d,
        sum(overflows) over w7 as overflow_reports_7d,
        sum(overflows) over w30 as overflow_reports_30d,
        sum(overflows) over w90 as overflow_reports_90d,
        -- running maxima (cheap: the frame only grows), capped to 90 days below
        max(case when missed > 0 then day end) over so_far as last_missed_day,
        (sum(fill_sum) over w30 / nullif(sum(fill_n) over w30, 0))::float8 as avg_fill_level_30d,
        (sum(kg) over w30)::float8 as kg_collected_30d,
        (sum(kg) over w30 - coalesce(sum(kg) over previous30, 0))::float8 as kg_trend_30d,
        max(last_ts) over so_far as last_event_ts
    from dense
    window
        w7 as (partition by customer_id order by day rows between 6 preceding and current row),
        w30 as (partition by customer_id order by day rows between 29 preceding and current row),
        w90 as (partition by customer_id order by day rows between 89 preceding and current row),
        so_far as (
            partition by customer_id order by day rows between unbounded preceding and current row
        ),
        previous30 as (
            partition by customer_id order by day rows between 59 preceding and 30 preceding
        )
)
select
    w.customer_id,
    t.feature_ts,
    greatest(
        case when w.last_event_ts >= (w.day - 89)::timestamp at time zone 'UTC' then w.last_event_ts end,
        v.created_at,
        v.valid_from,
        b.bins_valid_from
    ) as source_max_ts,
    v.service_tier,
    (w.day + 1 - (v.created_at at time zone 'UTC')::date) as tenure_days,
    coalesce(b.active_bins, 0) as active_bins,
    w.pickups_7d, w.pickups_30d, w.pickups_90d,
    w.missed_pickups_7d, w.missed_pickups_30d, w.missed_pickups_90d,
    w.complaints_7d, w.complaints_30d, w.complaints_90d,
    w.overflow_reports_7d, w.overflow_reports_30d, w.overflow_reports_90d,
    case when w.day - w.last_missed_day <= 89 then w.day - w.last_missed_day end
        as days_since_missed_pickup,
    w.avg_fill_level_30d,
    w.kg_collected_30d,
    w.kg_trend_30d
from windowed as w
{customer_as_of}
left join lateral (  -- its bins as of feature_ts; a removal counts from the row's updated_at
    select
        count(*) filter (
            where b.installed_at < t.feature_ts
              and not (b.status = 'removed' and b.updated_at <= t.feature_ts)
        ) as active_bins,
        max(b.valid_from) as bins_valid_from
    from staging.bins_history as b
    where b.customer_id = w.customer_id
      and b.valid_from <= t.feature_ts
      and (b.valid_to is null or b.valid_to > t.feature_ts)
) as b on true
where w.day between %(first_day)s::date and %(last_day)s::date
