-- After a run: nothing missing extends complete_through to the range's last partition (a full
-- count also renews verified_at); a missing note forgets the row, so the next run counts all.
with forget as (
    delete from vectors.coverage
    where model_version = %(model_version)s and event_types = %(scope)s::text[]
      and %(missing)s > 0
)
insert into vectors.coverage as c (model_version, event_types, complete_through, verified_at)
select %(model_version)s, %(scope)s::text[], %(last_partition)s, now()
where %(missing)s = 0
on conflict (model_version, event_types) do update
set complete_through = greatest(c.complete_through, excluded.complete_through),
    verified_at = case when %(full_count)s then excluded.verified_at else c.verified_at end
