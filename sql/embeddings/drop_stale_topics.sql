-- Removes one fit's topic assignments of events that left its scope: no vector in any space the
-- fit has centroids in (emptied text), an event type outside the topic scope, or a deleted event.
-- The touched filter limits it to the events a run touched, as in assign_topics.
delete from vectors.event_topics as a
where a.fit_id = %(fit_id)s {touched}
  and not exists (
      select 1
      from vectors.service_event_embeddings as v
      join staging.service_events as e on e.id = v.event_id
      join vectors.topics as t
          on t.fit_id = a.fit_id and t.model_version = v.model_version and t.topic_id = 0
      where v.event_id = a.event_id
        and e.event_type = any(%(event_types)s)
  )
