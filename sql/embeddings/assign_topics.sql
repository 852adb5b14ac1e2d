-- The topic of every embedded complaint-like event under the current fit: its nearest centroid
-- by Euclidean distance (what k-means minimises), ties to the lower topic_id. Rows that did not
-- change are left alone.
insert into vectors.event_topics as a (event_id, topic_id, distance, fit_id)
select v.event_id, t.topic_id, t.distance, t.fit_id
from vectors.service_event_embeddings as v
join staging.service_events as e on e.id = v.event_id
cross join lateral (
    select c.topic_id, c.fit_id, v.embedding <-> c.centroid as distance
    from vectors.topics as c
    order by v.embedding <-> c.centroid, c.topic_id
    limit 1
) as t
where e.event_type = any(%(event_types)s)
  and v.model_version = %(model_version)s
on conflict (event_id) do update
set topic_id = excluded.topic_id, distance = excluded.distance, fit_id = excluded.fit_id
where (a.topic_id, a.distance, a.fit_id)
    is distinct from (excluded.topic_id, excluded.distance, excluded.fit_id)
