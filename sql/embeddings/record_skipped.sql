-- Records the candidate events whose text could not be embedded, with the reason.
insert into vectors.skipped_texts (event_id, reason, partition_key, run_id, checked_at)
select event_id, action, partition_key, %(run_id)s, now()
from embedding_candidates
where action not in ('embed', 'unchanged')
