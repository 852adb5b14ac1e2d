-- A sample of the vectors written for [first_partition, last_partition] (no vector values).
select v.event_id, e.event_type, v.model_version, v.checksum, left(e.description, 80) as text
from vectors.service_event_embeddings as v
join staging.service_events as e on e.id = v.event_id
where v.partition_key between %(first_partition)s and %(last_partition)s
order by v.embedded_at desc, v.event_id
