-- Drops the session-local work tables of an embedding run (before a run and after it).
drop table if exists pg_temp.embedding_candidates, pg_temp.embedding_staged
