-- Complaint-like events up to the end of the range, by what the topic features can say about
-- them: with a topic, without an embedding (skipped or not yet embedded), or embedded by another
-- model_version (waiting to be re-embedded).
select
    count(*) as events,
    count(a.event_id) as with_topic,
    count(*) filter (where v.event_id is null) as without_embedding,
    count(*) filter (where v.model_version <> %(model_version)s) as other_model_version
from staging.service_events as e
left join vectors.service_event_embeddings as v on v.event_id = e.id
left join vectors.event_topics as a on a.event_id = e.id
where e.event_type = any(%(event_types)s)
  and e.service_date < (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
