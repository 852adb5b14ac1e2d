-- How far the current model version covers the in-scope events with text: events, and those
-- without a vector of this model_version for their current text (still to embed).
select
    count(*) as events,
    count(*) filter (where not exists (
        select 1 from vectors.service_event_embeddings as v
        where v.event_id = e.id and v.model_version = %(model_version)s
          and v.checksum = md5(e.description)
    )) as missing
from staging.service_events as e
where e.event_type = any(%(event_types)s)
  and e.description !~ '^[[:space:]]*$'
  and e.service_date < (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
