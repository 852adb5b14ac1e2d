-- The entities to score for the as-of dates [first_as_of, last_as_of], in the shape of training
-- labels: one row per entity with a row of the task's first feature view for the day before an
-- as-of date (feature_ts = its midnight), at noon UTC of that date (as training labels are),
-- label unknown.
create temp table {labels} on commit drop as
select f.{entity_key}, f.feature_ts + interval '12 hours' as label_ts,
    null::double precision as label
from {view_table} as f
where f.feature_ts >= (%(first_as_of)s::date)::timestamp at time zone 'utc'
    and f.feature_ts <= (%(last_as_of)s::date)::timestamp at time zone 'utc'
order by 1, 2
