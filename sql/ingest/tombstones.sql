-- The tombstones of a table's partition range (ids the reconcile found gone from the source),
-- one per id with its partition and when it was seen gone, in the temp table _gone.
create temp table _gone on commit drop as
select distinct on (d.id) d.id::uuid as id, d.partition_key, d.detected_at
from raw.deletions as d
where d.source_table = %(source_table)s
  and d.partition_key between %(first_partition)s and %(last_partition)s
order by d.id, d.detected_at
