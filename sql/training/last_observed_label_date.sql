-- The last as-of date whose label horizon is fully observed: noon of that date plus the horizon
-- is no later than the end of the observed horizon (training/observed_horizon, composed in as
-- observed_horizon), NULL when staging has no events.
select ((o.until - %(horizon)s::interval - interval '12 hours') at time zone 'utc')::date
from ({observed_horizon}) as o
