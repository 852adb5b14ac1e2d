-- Ids this partition range landed outside its updated_at window on an earlier run (found by a
-- reconcile), so that a re-run of the range lands them again and its counts stay the same.
select id::text
from {staging_table}
where partition_key between %(first_partition)s and %(last_partition)s
  and updated_at < %(start)s
union
select source_id
from quality.rejected_rows
where source_table = %(source_table)s
  and resolved_at is null
  and partition_key between %(first_partition)s and %(last_partition)s
  and pg_input_is_valid(source_id, 'uuid')
  and coalesce(
      not pg_input_is_valid(raw_row ->> 'updated_at', 'timestamptz')
      or (raw_row ->> 'updated_at')::timestamptz < %(start)s,
      true
  )
