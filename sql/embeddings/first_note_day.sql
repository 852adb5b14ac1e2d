-- The day of the earliest complaint-like note: a first fit needs fit_days of notes before the
-- first day it serves.
select (min(service_date) at time zone 'UTC')::date
from staging.service_events
where event_type = any(%(event_types)s)
