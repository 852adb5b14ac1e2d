-- The service events a run over [first_partition, last_partition] may have changed: those that
-- landed in its partitions (new, corrected, re-typed, re-embedded) and those deleted there.
create temporary table topic_touched on commit drop as
select e.id as event_id
from staging.service_events as e
where e.partition_key between %(first_partition)s and %(last_partition)s
union
select d.source_id::uuid
from quality.deleted_rows as d
where d.source_table = 'service_events'
  and d.partition_key between %(first_partition)s and %(last_partition)s
