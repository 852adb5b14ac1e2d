-- Source versions the platform has not seen and no partition's updated_at window will land: older
-- than the run's window (a later change belongs to a later partition) or without updated_at, with
-- no staged row of that (id, updated_at) and no open rejection of it. These are the backdated
-- corrections and the rows with no updated_at.
select k.id::text
from _source_keys as k
where (k.updated_at is null or k.updated_at < %(start)s)
  and not exists (
      select 1 from {staging_table} as s
      where s.id = k.id and s.updated_at is not distinct from k.updated_at
  )
  and not exists (
      select 1 from quality.rejected_rows as r
      where r.source_table = %(source_table)s
        and r.resolved_at is null
        and r.source_id = k.id::text
        and (case when pg_input_is_valid(r.raw_row ->> 'updated_at', 'timestamptz')
                  then (r.raw_row ->> 'updated_at')::timestamptz end)
            is not distinct from k.updated_at
  )
