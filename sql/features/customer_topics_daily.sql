-- Topic features: one row per (customer_id, day) for the days in [first_day, last_day] on which
-- the customer existed and had not churned by the end of the day, counting the customer's
-- complaint-like events of each topic under one topic fit (the view's variant, fit_id) over
-- 30 and 90 days ending with the day. The values are valid from the end of the day
-- (feature_ts = day + 1, UTC), exactly like features/customer_daily. Reads 89 days of events
-- before first_day so windows are complete at partition edges. Topics 0-7 are spelled out: the
-- table has a fixed width of 8 topics. Which customers have a row comes from staging history as
-- of feature_ts, as in customer_daily.
with {customer_range},
daily as (
    select
        e.customer_id,
        (e.service_date at time zone 'UTC')::date as day,
        count(*) filter (where t.topic_id = 0) as t0,
        count(*) filter (where t.topic_id = 1) as t1,
        count(*) filter (where t.topic_id = 2) as t2,
        count(*) filter (where t.topic_id = 3) as t3,
        count(*) filter (where t.topic_id = 4) as t4,
        count(*) filter (where t.topic_id = 5) as t5,
        count(*) filter (where t.topic_id = 6) as t6,
        count(*) filter (where t.topic_id = 7) as t7,
        max(e.service_date) as last_ts
    from vectors.event_topics as t
    join staging.service_events as e on e.id = t.event_id
    where t.fit_id = %(variant)s
      and e.customer_id is not null
      and e.service_date >= (%(first_day)s::date - 89)::timestamp at time zone 'UTC'
      and e.service_date < (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
    group by 1, 2
),
dense as (
    select
        c.customer_id, d.day,
        coalesce(x.t0, 0) as t0, coalesce(x.t1, 0) as t1,
        coalesce(x.t2, 0) as t2, coalesce(x.t3, 0) as t3,
        coalesce(x.t4, 0) as t4, coalesce(x.t5, 0) as t5,
        coalesce(x.t6, 0) as t6, coalesce(x.t7, 0) as t7,
        x.last_ts
    from customers as c
    cross join days as d
    left join daily as x on x.customer_id = c.customer_id and x.day = d.day
),
windowed as (
    select
        customer_id, day,
        sum(t0) over w30 as topic_0_30d,
        sum(t1) over w30 as topic_1_30d,
        sum(t2) over w30 as topic_2_30d,
        sum(t3) over w30 as topic_3_30d,
        sum(t4) over w30 as topic_4_30d,
        sum(t5) over w30 as topic_5_30d,
        sum(t6) over w30 as topic_6_30d,
        sum(t7) over w30 as topic_7_30d,
        sum(t0) over w90 as topic_0_90d,
        sum(t1) over w90 as topic_1_90d,
        sum(t2) over w90 as topic_2_90d,
        sum(t3) over w90 as topic_3_90d,
        sum(t4) over w90 as topic_4_90d,
        sum(t5) over w90 as topic_5_90d,
        sum(t6) over w90 as topic_6_90d,
        sum(t7) over w90 as topic_7_90d,
        max(last_ts) over so_far as last_event_ts
    from dense
    window
        w30 as (partition by customer_id order by day rows between 29 preceding and current row),
        w90 as (partition by customer_id order by day rows between 89 preceding and current row),
        so_far as (
            partition by customer_id order by day rows between unbounded preceding and current row
        )
)
select
    w.customer_id,
    %(variant)s::text as fit_id,
    t.feature_ts,
    greatest(
        case
            when w.last_event_ts >= (w.day - 89)::timestamp at time zone 'UTC' then w.last_event_ts
        end,
        v.created_at,
        v.valid_from
    ) as source_max_ts,
    w.topic_0_30d, w.topic_1_30d, w.topic_2_30d, w.topic_3_30d,
    w.topic_4_30d, w.topic_5_30d, w.topic_6_30d, w.topic_7_30d,
    w.topic_0_90d, w.topic_1_90d, w.topic_2_90d, w.topic_3_90d,
    w.topic_4_90d, w.topic_5_90d, w.topic_6_90d, w.topic_7_90d
from windowed as w
{customer_as_of}
where w.day between %(first_day)s::date and %(last_day)s::date
