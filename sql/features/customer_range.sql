-- Fragment (the first CTEs of the customer feature views, after `with`): `days`, every day from
-- 89 days before first_day to last_day (the longest window's lookback), and `customers`, every
-- customer (or each of the entities asked for) with a staging-history version valid in
-- [first_day, last_day] that existed and had not churned. Composed as {customer_range}.
days as (
    select d::date as day
    from generate_series(%(first_day)s::date - 89, %(last_day)s::date, interval '1 day') as d
),
customers as (  -- every customer (or each entity asked for) with a version valid in the range
    select distinct h.id as customer_id
    from staging.customers_history as h
    where (%(entities)s::uuid[] is null or h.id = any(%(entities)s::uuid[]))
      and h.created_at < (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
      and h.valid_from <= (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
      and (h.valid_to is null
           or h.valid_to > (%(first_day)s::date + 1)::timestamp at time zone 'UTC')
      and (h.churned_at is null
           or h.churned_at >= (%(first_day)s::date + 1)::timestamp at time zone 'UTC')
)
