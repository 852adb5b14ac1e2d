-- The k service events nearest to a query vector among those passing the filters, computed
-- exactly over the filtered rows (no index): the fallback when a filter is so selective that
-- the index scan gave up (hnsw.max_scan_tuples) before finding k rows. Same {filters} and
-- parameters as embeddings/search.
with candidates as materialized (
    select v.event_id, v.embedding
    from vectors.service_event_embeddings as v
    join staging.service_events as e on e.id = v.event_id
    where v.model = %(model)s
      and (%(model_version)s::text is null or v.model_version = %(model_version)s) {filters}
)
select c.event_id, c.embedding <=> %(query)s::vector as distance, e.event_type, e.service_date,
    left(e.description, %(snippet)s)
from candidates as c
join staging.service_events as e on e.id = c.event_id
order by distance, c.event_id
limit %(k)s
