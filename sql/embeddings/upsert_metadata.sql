-- One vectors.metadata row per staged vector (the design notes' ml_vector_metadata): where the
-- vector lives, its model, dimensions, text checksum, and the run that generated it.
insert into vectors.metadata as m
    (entity_type, entity_id, vector_id, model, model_version, dimensions, checksum, generated_at,
     generation_time_ms, organization_id, partition_key, run_id)
select
    'service_event', s.event_id, 'vectors.service_event_embeddings/' || s.event_id,
    %(model)s, %(model_version)s, %(dimensions)s, c.checksum, now(), %(ms_per_text)s,
    c.organization_id, c.partition_key, %(run_id)s
from embedding_staged as s
join embedding_candidates as c on c.event_id = s.event_id
on conflict (entity_type, entity_id) do update
set model = excluded.model,
    model_version = excluded.model_version,
    dimensions = excluded.dimensions,
    checksum = excluded.checksum,
    generated_at = excluded.generated_at,
    generation_time_ms = excluded.generation_time_ms,
    organization_id = excluded.organization_id,
    partition_key = excluded.partition_key,
    run_id = excluded.run_id,
    updated_at = now()
