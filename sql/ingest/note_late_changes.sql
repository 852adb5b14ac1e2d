-- Notes the entities whose past this load changed: for the rows of {batch} that were written and
-- changed something ({relation} holds them now) with a valid day before the run's first
-- partition (and from the platform's first partition on), each entity the row belongs to.
-- Feature views recompute those entities from that day.
insert into staging.late_changes as c (source_table, day, entity_key, entity_id, noted_at)
select distinct %(source_table)s, {valid_day}, e.entity_key, e.entity_id, now()
from {batch} as b
join {relation} as t on t.id = b.id and t.updated_at = b.updated_at
cross join lateral (values {entities}) as e (entity_key, entity_id)
where b.reason is null
  and not b.superseded
  and b.changed
  and e.entity_id is not null
  and {valid_day} < %(first_partition)s::date
  and {valid_day} >= %(first_partition_key)s::date
on conflict (source_table, day, entity_key, entity_id) do update set noted_at = excluded.noted_at
