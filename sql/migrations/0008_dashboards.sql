-- Snapshots of Postgres activity and statistics (the design notes' connection-pool metrics),
-- one row per (snapshot, database). The dashboards' materialized views are not created here:
-- the dashboard assets create and replace them from sql/dashboards/, so their definitions can
-- change without a migration.
create table monitoring.db_stats (
    captured_at timestamptz not null default now(),
    database text not null,
    connections_total int,
    connections_active int,
    connections_idle int,
    connections_idle_in_tx int,
    xact_commit bigint,
    xact_rollback bigint,
    blks_hit bigint,
    blks_read bigint,
    cache_hit_ratio double precision,
    deadlocks bigint,
    temp_bytes bigint,
    database_size_bytes bigint,
    run_id text,
    primary key (captured_at, database)
);

comment on table monitoring.db_stats is 'One snapshot of a database''s connections (pg_stat_activity), cumulative statistics (pg_stat_database) and size per row; counters are cumulative since the last statistics reset.';
comment on column monitoring.db_stats.captured_at is 'When the snapshot was taken.';
comment on column monitoring.db_stats.database is 'The database measured (current_database() of the snapshot).';
comment on column monitoring.db_stats.connections_total is 'Client connections to the database.';
comment on column monitoring.db_stats.connections_active is 'Client connections running a statement.';
comment on column monitoring.db_stats.connections_idle is 'Client connections waiting for a command.';
comment on column monitoring.db_stats.connections_idle_in_tx is 'Client connections idle inside an open transaction (they hold locks and snapshots).';
comment on column monitoring.db_stats.xact_commit is 'Transactions committed (cumulative).';
comment on column monitoring.db_stats.xact_rollback is 'Transactions rolled back (cumulative).';
comment on column monitoring.db_stats.blks_hit is 'Disk blocks found in shared buffers (cumulative).';
comment on column monitoring.db_stats.blks_read is 'Disk blocks read from the OS (cumulative).';
comment on column monitoring.db_stats.cache_hit_ratio is 'blks_hit / (blks_hit + blks_read); null before any block was touched.';
comment on column monitoring.db_stats.deadlocks is 'Deadlocks detected (cumulative).';
comment on column monitoring.db_stats.temp_bytes is 'Bytes written to temporary files by queries (cumulative).';
comment on column monitoring.db_stats.database_size_bytes is 'pg_database_size() at the snapshot.';
comment on column monitoring.db_stats.run_id is 'Dagster run that took the snapshot.';
