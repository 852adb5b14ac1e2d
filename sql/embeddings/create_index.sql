-- The HNSW index for cosine-distance search. Built once, after the first bulk load (one build
-- over loaded rows is far cheaper than growing the graph insert by insert); Postgres maintains
-- it afterwards. {m} and {ef_construction} are validated integers from the asset's config.
create index if not exists service_event_embeddings_hnsw
on vectors.service_event_embeddings
using hnsw (embedding vector_cosine_ops)
with (m = {m}, ef_construction = {ef_construction})
