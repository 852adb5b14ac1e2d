-- The next chunk of texts to embed, in event_id order after the last id of the previous chunk
-- (keyset paging: each chunk is one index range scan of the candidates).
select c.event_id, e.description
from embedding_candidates as c
join staging.service_events as e on e.id = c.event_id
where c.action = 'embed'
  and (%(after)s::uuid is null or c.event_id > %(after)s::uuid)
order by c.event_id
limit %(chunk)s
