-- The storage options (m, ef_construction) of the HNSW index, NULL when it does not exist yet.
select c.reloptions
from pg_class as c
join pg_namespace as n on n.oid = c.relnamespace
where n.nspname = 'vectors' and c.relname = 'service_event_embeddings_hnsw'
