-- The vectors the topic model is fitted on: embeddings (of one model_version) of the
-- complaint-like events whose service_date is before the fit cutoff, in event_id order so the
-- fit is reproducible.
select v.event_id, v.embedding
from vectors.service_event_embeddings as v
join staging.service_events as e on e.id = v.event_id
where e.event_type = any(%(event_types)s)
  and v.model_version = %(model_version)s
  and e.service_date < %(cutoff)s
order by v.event_id
