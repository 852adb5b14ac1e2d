-- Adds to the run's candidates up to %(coverage_batch)s in-scope events outside its partition
-- range that have text but no vector of this model_version for it (a new model version filling
-- in beside the old one, in the background of the nightly runs), newest first: the notes recent
-- feature windows count are covered first.
insert into embedding_candidates (event_id, organization_id, partition_key, checksum, chars, action)
select e.id, e.organization_id, e.partition_key, md5(e.description),
    char_length(e.description), 'embed'
from staging.service_events as e
where e.event_type = any(%(event_types)s)
  and e.description !~ '^[[:space:]]*$'
  and not exists (
      select 1 from vectors.service_event_embeddings as v
      where v.event_id = e.id and v.model_version = %(model_version)s
        and v.checksum = md5(e.description)
  )
order by e.service_date desc, e.id
limit %(coverage_batch)s
on conflict (event_id) do nothing
