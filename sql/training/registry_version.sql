-- The newest registered version of one feature view (no row when it was never registered).
select version
from features.registry
where view_name = %(view_name)s
order by created_at desc, version desc
limit 1
