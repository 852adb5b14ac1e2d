-- In-scope events with text in [first_partition, last_partition] (by partition index) without a
-- vector of this model_version for their current text: the run's own part of coverage.
select count(*)
from staging.service_events as e
where e.partition_key between %(first_partition)s and %(last_partition)s
  and e.event_type = any(%(event_types)s)
  and e.description !~ '^[[:space:]]*$'
  and not exists (
      select 1 from vectors.service_event_embeddings as v
      where v.event_id = e.id and v.model_version = %(model_version)s
        and v.checksum = md5(e.description)
  )
