-- The outcome counts of every partition in {batch} or with a tombstone (_gone), into the
-- temp table _counts, each taken from what was written: rows staged from {written}, rows
-- rejected from quality.rejected_rows (this run's), deletes and resolved rejections from their
-- evidence. Checked (in = staged + rejected + superseded) before ingest/record_counts stores them.
create temp table _counts on commit drop as
select
    p.partition_key,
    coalesce(b.rows_in, 0) as rows_in,
    coalesce(w.rows_written, 0) as rows_staged,
    (select count(*) from quality.rejected_rows as r
     where r.source_table = %(source_table)s and r.partition_key = p.partition_key
       and r.run_id = %(run_id)s) as rows_rejected,
    coalesce(b.rows_superseded, 0) as rows_superseded,
    (select count(*) from quality.rejected_rows as r
     where r.source_table = %(source_table)s and r.partition_key = p.partition_key
       and r.resolved_at is not null) as rows_resolved,
    (select count(*) from quality.deleted_rows as d
     where d.source_table = %(source_table)s and d.partition_key = p.partition_key)
        as rows_deleted
from (
    select partition_key from {batch}
    union
    select partition_key from _gone
) as p
left join (
    select
        partition_key,
        count(*) as rows_in,
        count(*) filter (where reason is null and superseded) as rows_superseded
    from {batch}
    group by partition_key
) as b on b.partition_key = p.partition_key
left join (
    select partition_key, count(*) as rows_written from {written} group by partition_key
) as w on w.partition_key = p.partition_key
