-- The variant (topic fit) one registered version of a feature view reads, and the last day its
-- rows reach (no row when that version was never registered).
select variant, (freshness_ts at time zone 'UTC')::date - 1 as last_day
from features.registry
where view_name = %(view_name)s and version = %(version)s
