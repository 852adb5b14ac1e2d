-- The last as-of date whose label horizon is fully observed: noon of that date plus the horizon
-- is no later than the latest service_date in staging (NULL when staging has no events).
select
    ((max(service_date) - %(horizon)s::interval - interval '12 hours') at time zone 'utc')::date
from staging.service_events
