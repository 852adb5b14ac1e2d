-- Joins open predictions of one task to their labels, computed by the task's own label SQL (so
-- an outcome means what the training label meant): the actual outcome, when it became known
-- (the end of the horizon), the error (prediction minus outcome) and, for classifiers, whether
-- the thresholded prediction was right. Labels whose horizon is not yet observed are absent.
update ml.predictions as p
set actual_outcome = jsonb_build_object('label', l.label),
    outcome_timestamp = l.label_ts + %(horizon)s::interval,
    prediction_error = (p.prediction_result ->> 'score')::float8 - l.label,
    prediction_accuracy = case
        when %(classification)s then
            (((p.prediction_result ->> 'score')::float8 >= %(threshold)s)::int = l.label)::int
    end
from {labels} as l
where p.prediction_type = %(task)s
    and p.actual_outcome is null
    and p.entity_id = l.{entity_key}
    and p.prediction_timestamp = l.label_ts
