-- The topic of every embedded complaint-like event under one fit: its nearest centroid by
-- Euclidean distance (what k-means minimises), ties to the lower topic_id, in the fit's own
-- space when the event has a vector there, else in a later model's space the fit was given
-- centroids in (bridge_topics). Rows that did not change are left alone. The touched filter
-- limits it to the events a run touched when the fit is up to date before its range
-- (assignment_state).
insert into vectors.event_topics as a (fit_id, event_id, topic_id, distance, model_version)
select %(fit_id)s, x.event_id, t.topic_id, t.distance, x.model_version
from (
    select distinct on (v.event_id) v.event_id, v.embedding, v.model_version
    from vectors.service_event_embeddings as v
    join staging.service_events as e on e.id = v.event_id
    join vectors.topics as s
        on s.fit_id = %(fit_id)s and s.model_version = v.model_version and s.topic_id = 0
    where e.event_type = any(%(event_types)s) {touched}
    order by v.event_id, v.model_version = %(native)s desc, v.embedded_at, v.model_version
) as x
cross join lateral (
    select c.topic_id, x.embedding <-> c.centroid as distance
    from vectors.topics as c
    where c.fit_id = %(fit_id)s and c.model_version = x.model_version
    order by x.embedding <-> c.centroid, c.topic_id
    limit 1
) as t
on conflict (fit_id, event_id) do update
set topic_id = excluded.topic_id, distance = excluded.distance,
    model_version = excluded.model_version
where (a.topic_id, a.distance, a.model_version)
    is distinct from (excluded.topic_id, excluded.distance, excluded.model_version)
