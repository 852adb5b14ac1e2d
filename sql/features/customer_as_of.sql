-- Fragment (a FROM-clause join after `from windowed as w`, composed as customer_as_of): t, the
-- moment w's values become valid (feature_ts = the end of w.day, UTC), and v, the customer's
-- staging-history version valid at feature_ts, only while the customer existed and had not
-- churned by then. A customer view's rows exist exactly on such days.
cross join lateral (select (w.day + 1)::timestamp at time zone 'UTC' as feature_ts) as t
join staging.customers_history as v
    on v.id = w.customer_id
    and v.valid_from <= t.feature_ts
    and (v.valid_to is null or v.valid_to > t.feature_ts)
    and v.created_at < t.feature_ts
    and (v.churned_at is null or v.churned_at >= t.feature_ts)
