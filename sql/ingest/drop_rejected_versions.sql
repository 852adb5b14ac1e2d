-- A re-run that now rejects a version removes the copy an earlier run staged (same id and
-- updated_at) from {target}, and adds the id to _touched so its state is rebuilt.
with dropped as (
    delete from {target} as s
    using {batch} as b
    where b.reason is not null
      and s.id = b.id
      and s.updated_at = b.updated_at
    returning s.id
)
insert into _touched (id)
select distinct id from dropped
on conflict do nothing
