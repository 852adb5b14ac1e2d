-- The first and last day that features.customer_topics_daily holds rows for (a refit rewrites
-- them all, so that every row counts topics of the same fit).
select
    (min(feature_ts) at time zone 'UTC')::date - 1 as first_day,
    (max(feature_ts) at time zone 'UTC')::date - 1 as last_day
from features.customer_topics_daily
