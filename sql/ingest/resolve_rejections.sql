-- Marks resolved the open rejections whose row {batch} (the re-validated ones) now staged: the
-- entry stays as evidence, with when and by which load it was resolved. Returns their partitions.
update quality.rejected_rows as r
set resolved_at = now(), resolved_load_id = %(load_id)s
from {batch} as b
where b.reason is null
  and r.source_table = %(source_table)s
  and r.resolved_at is null
  and r.partition_key = b.partition_key
  and r.source_id is not distinct from b.source_id
  and r.raw_row = b.raw_row
returning r.partition_key
