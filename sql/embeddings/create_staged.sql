-- Session-local work table of one embedding run: the vectors computed so far, staged by binary
-- COPY chunk by chunk, then upserted into vectors.service_event_embeddings in one transaction.
create temp table embedding_staged (event_id uuid primary key, embedding vector not null)
