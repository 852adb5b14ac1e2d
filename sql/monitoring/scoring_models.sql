-- The models (champions and challengers) that scored any of the days [first_day, last_day]:
-- each needs its reference scores before its PSI can be computed. One row per model.
select distinct model_id
from ml.predictions
where prediction_type = any(%(tasks)s)
  and partition_key between %(first_day)s and %(last_day)s
