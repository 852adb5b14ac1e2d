-- Marks the clean rows of {batch} that are not written: a second copy of the same version, or
-- (for a table without history) a version older than a newer one in the batch or in staging.
update {batch} as b
set superseded = true
where b.reason is null
  and (b.same_version_rank > 1
       or (not %(keeps_history)s
           and (b.version_rank > 1
                or exists (
                    select 1 from {staging_table} as s
                    where s.id = b.id and s.updated_at > b.updated_at
                ))))
