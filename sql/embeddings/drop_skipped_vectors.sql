-- Removes the vectors (and their metadata) of candidate events whose text is now skipped: an
-- emptied description must not keep answering searches with what it used to say. Only while the
-- text is still the one read: a text filled in since may already have its new vector.
with dropped as (
    delete from vectors.service_event_embeddings as v
    using embedding_candidates as c, staging.service_events as e
    where c.event_id = v.event_id and c.action not in ('embed', 'unchanged')
      and e.id = c.event_id and md5(e.description) is not distinct from c.checksum
    returning v.event_id
)
delete from vectors.metadata as m
using dropped as d
where m.entity_type = 'service_event' and m.entity_id = d.event_id
