-- The first and last UTC day on which any operational row changed: the partitions a full
-- backfill of the source must cover. Runs on the source database.
select
    min(day)::text as first_partition,
    max(day)::text as last_partition
from (
    select (updated_at at time zone 'UTC')::date as day from ops.organizations
    union all select (updated_at at time zone 'UTC')::date from ops.customers
    union all select (updated_at at time zone 'UTC')::date from ops.bins
    union all select (updated_at at time zone 'UTC')::date from ops.vehicles
    union all select (updated_at at time zone 'UTC')::date from ops.routes
    union all select (updated_at at time zone 'UTC')::date from ops.service_events
) as changes
