-- The first and last as-of date (UTC) a feature view has rows for: a row for day D has
-- feature_ts = D + 1 00:00, so it is usable from that date on.
select
    (min(feature_ts) at time zone 'utc')::date as first_date,
    (max(feature_ts) at time zone 'utc')::date as last_date
from {view_table}
