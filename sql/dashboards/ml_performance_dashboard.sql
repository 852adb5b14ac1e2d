-- ML operations and database load per UTC hour (grain: hour): operations, mean duration and
-- failures from ml.audit_log beside the current database's snapshots in monitoring.db_stats.
-- Commits, rollbacks, deadlocks and temp bytes are the increase of the cumulative counters
-- within the hour (last - first snapshot; a statistics reset inside the hour distorts it);
-- size and cache hit ratio are the hour's last snapshot.
with operations as (
    select
        date_trunc('hour', logged_at, 'UTC') as hour,
        count(*) as ml_operations,
        avg(duration_ms)::float8 as ml_mean_duration_ms,
        count(*) filter (where status = 'failure') as ml_failures
    from ml.audit_log
    group by date_trunc('hour', logged_at, 'UTC')
),
snapshots as (
    select
        date_trunc('hour', captured_at, 'UTC') as hour,
        count(*) as db_snapshots,
        max(connections_active) as connections_active_max,
        max(xact_commit) - min(xact_commit) as commits,
        max(xact_rollback) - min(xact_rollback) as rollbacks,
        (array_agg(cache_hit_ratio order by captured_at desc))[1] as cache_hit_ratio,
        max(deadlocks) - min(deadlocks) as deadlocks,
        max(temp_bytes) - min(temp_bytes) as temp_bytes,
        (array_agg(database_size_bytes order by captured_at desc))[1] as database_size_bytes
    from monitoring.db_stats
    where database = current_database()
    group by date_trunc('hour', captured_at, 'UTC')
)
select
    hour,
    coalesce(o.ml_operations, 0) as ml_operations,
    o.ml_mean_duration_ms,
    coalesce(o.ml_failures, 0) as ml_failures,
    coalesce(s.db_snapshots, 0) as db_snapshots,
    s.connections_active_max,
    s.commits,
    s.rollbacks,
    s.cache_hit_ratio,
    s.deadlocks,
    s.temp_bytes,
    s.database_size_bytes
from operations as o
full join snapshots as s using (hour)
