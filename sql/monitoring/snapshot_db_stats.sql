-- One snapshot of the current database: its client connections by state (pg_stat_activity),
-- its cumulative counters (pg_stat_database) and its size. One row per call; returns it.
insert into monitoring.db_stats (
    database, connections_total, connections_active, connections_idle, connections_idle_in_tx,
    xact_commit, xact_rollback, blks_hit, blks_read, cache_hit_ratio, deadlocks, temp_bytes,
    database_size_bytes, run_id
)
select
    d.datname,
    a.total,
    a.active,
    a.idle,
    a.idle_in_tx,
    d.xact_commit,
    d.xact_rollback,
    d.blks_hit,
    d.blks_read,
    d.blks_hit::float8 / nullif(d.blks_hit + d.blks_read, 0),
    d.deadlocks,
    d.temp_bytes,
    pg_database_size(d.datname),
    %(run_id)s
from pg_stat_database as d
cross join lateral (
    select
        count(*)::int as total,
        count(*) filter (where state = 'active')::int as active,
        count(*) filter (where state = 'idle')::int as idle,
        count(*) filter (
            where state in ('idle in transaction', 'idle in transaction (aborted)')
        )::int as idle_in_tx
    from pg_stat_activity
    where datname = d.datname and backend_type = 'client backend'
) as a
where d.datname = current_database()
returning *
