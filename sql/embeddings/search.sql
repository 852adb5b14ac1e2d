-- The k service events whose embeddings are nearest (cosine distance) to a query vector, after
-- the optional filters, through the HNSW index. With hnsw.iterative_scan the index keeps
-- scanning until k rows pass the filters (up to hnsw.max_scan_tuples); relaxed order means the
-- rows come back almost sorted, so the outer query sorts them exactly. {filters} is composed
-- from fixed fragments in search.py (organization, event type, since); every value is bound.
with nearest as materialized (
    select v.event_id, v.embedding <=> %(query)s::vector as distance
    from vectors.service_event_embeddings as v
    join staging.service_events as e on e.id = v.event_id
    where v.model = %(model)s
      and (%(model_version)s::text is null or v.model_version = %(model_version)s) {filters}
    order by v.embedding <=> %(query)s::vector
    limit %(k)s
)
select n.event_id, n.distance, e.event_type, e.service_date, left(e.description, %(snippet)s)
from nearest as n
join staging.service_events as e on e.id = n.event_id
order by n.distance, n.event_id
