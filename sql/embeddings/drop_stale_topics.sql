-- Removes topic assignments of events that left the scope: no embedding of the fit's
-- model_version any more (emptied text, other model) or an event type outside the topic scope.
delete from vectors.event_topics as a
where not exists (
    select 1
    from vectors.service_event_embeddings as v
    join staging.service_events as e on e.id = v.event_id
    where v.event_id = a.event_id
      and v.model_version = %(model_version)s
      and e.event_type = any(%(event_types)s)
)
