-- Removes the landed rows of a partition range before it is landed again (same transaction).
delete from {raw_table} where partition_key between %(first_partition)s and %(last_partition)s
