-- The newest registered version of one feature view with the variant it reads (no row when the
-- view was never registered).
select version, variant
from features.registry
where view_name = %(view_name)s
order by created_at desc, version desc
limit 1
