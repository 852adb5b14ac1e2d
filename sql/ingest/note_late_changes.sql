-- Notes the past days this load changed: the valid days of the rows of {batch} that were
-- written and changed something ({relation} holds them now), when before the run's first
-- partition and from the platform's first partition on. Feature views recompute from them.
insert into staging.late_changes as c (source_table, day, noted_at)
select distinct %(source_table)s, {valid_day}, now()
from {batch} as b
join {relation} as t on t.id = b.id and t.updated_at = b.updated_at
where b.reason is null
  and not b.superseded
  and b.changed
  and {valid_day} < %(first_partition)s::date
  and {valid_day} >= %(first_partition_key)s::date
on conflict (source_table, day) do update set noted_at = excluded.noted_at
