-- The span of as-of dates that still have predictions without a known outcome, for one task.
select
    (min(prediction_timestamp) at time zone 'utc')::date,
    (max(prediction_timestamp) at time zone 'utc')::date
from ml.predictions
where prediction_type = %(task)s and actual_outcome is null
