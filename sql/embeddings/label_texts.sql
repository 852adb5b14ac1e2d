-- The descriptions of the given events (the notes nearest a topic's centroid, for its label).
select id, description
from staging.service_events
where id = any(%(event_ids)s) and description is not null
