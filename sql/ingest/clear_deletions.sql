-- Removes the tombstones of a table's partition range before the range is landed again.
delete from raw.deletions
where source_table = %(source_table)s
  and partition_key between %(first_partition)s and %(last_partition)s
