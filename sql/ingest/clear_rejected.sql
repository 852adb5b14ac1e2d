-- Removes the open rejections of a table's partition range, so a re-run replaces them. Resolved
-- ones (staged later, once their parent arrived) stay as evidence.
delete from quality.rejected_rows
where source_table = %(source_table)s
  and partition_key between %(first_partition)s and %(last_partition)s
  and resolved_at is null
