-- The open rejections of a table, outside the run's range, whose reason is an unknown parent:
-- landed rows again (temp table _retry_raw), to be re-validated now that the parent may exist.
create temp table _retry_raw on commit drop as
select (jsonb_populate_record(
    null::{raw_table},
    r.raw_row || jsonb_build_object(
        'partition_key', r.partition_key, 'load_id', r.run_id, 'loaded_at', r.rejected_at
    )
)).*
from quality.rejected_rows as r
where r.source_table = %(source_table)s
  and r.resolved_at is null
  and r.reason = any(%(fk_reasons)s)
  and r.partition_key not between %(first_partition)s and %(last_partition)s
