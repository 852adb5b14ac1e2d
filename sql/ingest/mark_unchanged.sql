-- Marks the clean rows of {batch} that staging ({target}) already holds as they are: the same
-- (id, updated_at) with the same values. A re-run writes them again, but they change nothing,
-- so they note no late change.
update {batch} as b
set changed = false
where b.reason is null
  and not b.superseded
  and exists (
      select 1 from {target} as t
      where t.id = b.id and t.updated_at = b.updated_at
        and ({target_columns}) is not distinct from ({batch_columns})
  )
