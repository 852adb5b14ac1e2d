-- The vectors a topic model is fitted on: embeddings (of one model_version) of the complaint-like
-- events with service_date in the fit window [fit_from, serves_from), in event_id order so the
-- fit is reproducible. Nothing from a day the fit will serve.
select v.event_id, v.embedding
from vectors.service_event_embeddings as v
join staging.service_events as e on e.id = v.event_id
where e.event_type = any(%(event_types)s)
  and v.model_version = %(model_version)s
  and e.service_date >= %(fit_from)s::date::timestamp at time zone 'UTC'
  and e.service_date < %(serves_from)s::date::timestamp at time zone 'UTC'
order by v.event_id
