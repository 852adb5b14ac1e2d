-- Removes the ingest accounting of a table's partition range before it is recorded again.
delete from quality.ingest_counts
where source_table = %(source_table)s
  and partition_key between %(first_partition)s and %(last_partition)s
