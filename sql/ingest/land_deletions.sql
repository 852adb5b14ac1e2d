-- Lands one tombstone per id the reconcile found staged but gone from the source, in the range's
-- last partition (the day the platform saw it gone).
insert into raw.deletions (source_table, id, partition_key, load_id)
select %(source_table)s, id, %(last_partition)s, %(load_id)s
from unnest(%(ids)s::text[]) as id
