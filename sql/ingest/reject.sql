-- Quarantines the rows of {batch} that broke a rule: the raw row as landed, with its reason.
insert into quality.rejected_rows
    (source_table, source_id, reason, raw_row, partition_key, run_id, rejected_at)
select %(source_table)s, source_id, reason, raw_row, partition_key, %(run_id)s, now()
from {batch}
where reason is not null
