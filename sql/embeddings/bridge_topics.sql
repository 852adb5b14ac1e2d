-- Gives a fit centroids in another model version's space: per topic, the mean of that version's
-- vectors of the notes the fit assigned in its own space. Made once, when that version covers
-- every note, so the fit goes on assigning new notes (embedded only by the new model) to the
-- same topics, and no note it already assigned changes topic.
insert into vectors.topics
    (fit_id, model_version, topic_id, label, size, k, seed, event_types, fit_cutoff, centroid)
select t.fit_id, %(model_version)s, t.topic_id, t.label, 0, t.k, t.seed, t.event_types,
    t.fit_cutoff, c.centroid
from vectors.topics as t
join lateral (
    select avg(v.embedding) as centroid
    from vectors.event_topics as a
    join vectors.service_event_embeddings as v
        on v.event_id = a.event_id and v.model_version = %(model_version)s
    where a.fit_id = t.fit_id and a.topic_id = t.topic_id and a.model_version = t.model_version
) as c on c.centroid is not null
where t.fit_id = %(fit_id)s and t.model_version = %(native)s
on conflict do nothing
