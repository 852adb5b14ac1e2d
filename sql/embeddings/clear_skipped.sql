-- Forgets earlier skip reasons of the run's candidate events before they are recorded again.
delete from vectors.skipped_texts as s
using embedding_candidates as c
where c.event_id = s.event_id
