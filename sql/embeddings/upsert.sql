-- Writes the staged vectors into vectors.service_event_embeddings, one row per (event,
-- model_version): a new event or version is inserted, a re-embedded text replaced in place.
insert into vectors.service_event_embeddings as v
    (event_id, embedding, model, model_version, checksum, embedded_at, partition_key)
select s.event_id, s.embedding, %(model)s, %(model_version)s, c.checksum, now(), c.partition_key
from embedding_staged as s
join embedding_candidates as c on c.event_id = s.event_id
on conflict (event_id, model_version) do update
set embedding = excluded.embedding,
    model = excluded.model,
    model_version = excluded.model_version,
    checksum = excluded.checksum,
    embedded_at = excluded.embedded_at,
    partition_key = excluded.partition_key
