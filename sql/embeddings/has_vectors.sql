-- Whether any vector is stored yet (the HNSW index is built after the first bulk load).
select exists (select 1 from vectors.service_event_embeddings)
