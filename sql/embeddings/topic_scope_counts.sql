-- Complaint-like events of the range's days, by what the topic features of the fit in
-- force can say about them: with a topic, without an embedding of any model (skipped or not yet
-- embedded), or without a vector of the current model version (waiting to be embedded by it).
-- The range's days only: counting every event up to the range's end read all of history each
-- night (27 s at 100,000 customers x 365 days).
select
    count(*) as events,
    count(*) filter (where exists (
        select 1 from vectors.event_topics as a where a.fit_id = %(fit_id)s and a.event_id = e.id
    )) as with_topic,
    count(*) filter (where not exists (
        select 1 from vectors.service_event_embeddings as v where v.event_id = e.id
    )) as without_embedding,
    count(*) filter (where not exists (
        select 1 from vectors.service_event_embeddings as v
        where v.event_id = e.id and v.model_version = %(model_version)s
    )) as without_current_model_version
from staging.service_events as e
where e.event_type = any(%(event_types)s)
  and e.service_date >= %(first_day)s::timestamp at time zone 'UTC'
  and e.service_date < (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
