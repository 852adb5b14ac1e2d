-- The settings of the topic fit in force (every row of vectors.topics shares them), if any.
select fit_id, model_version, k, seed, event_types, fit_cutoff
from vectors.topics
limit 1
