-- History in staging (SCD2): every version of the dimension tables with its valid time, the
-- tombstones of rows the source deleted, and a quarantine that heals when a late parent lands.
--
-- A version is one (id, updated_at) of a row as the source showed it. valid_from is updated_at,
-- except the first version of an id, which stands for the row's past back to created_at (the
-- platform never saw an older one); valid_to is the next version's valid_from, or when the
-- platform saw the row gone (deleted_at); NULL = current.
--
-- Each history table is its staging table's columns plus the valid time, keyed by version. An
-- upgrade keeps its data: each row staging already holds becomes the first version of its id.
-- As-of joins look up the version of an id valid at a moment (index on id, valid_from).
do $$
declare
    t text;
begin
    foreach t in array array['organizations', 'customers', 'bins', 'vehicles', 'routes'] loop
        execute format('create table staging.%I (like staging.%I)', t || '_history', t);
        execute format(
            'alter table staging.%I add column valid_from timestamptz not null,'
            ' add column valid_to timestamptz, add column deleted_at timestamptz,'
            ' add primary key (id, updated_at)', t || '_history');
        execute format(
            'insert into staging.%I select s.*, least(s.created_at, s.updated_at), null, null'
            ' from staging.%I as s', t || '_history', t);
        execute format('create index %I on staging.%I (id, valid_from)',
            t || '_history_as_of', t || '_history');
        execute format('comment on column staging.%I.valid_from is %L', t || '_history',
            'From when this version holds: its updated_at, or created_at for the first version the platform saw.');
        execute format('comment on column staging.%I.valid_to is %L', t || '_history',
            'Until when this version holds (exclusive): the next version''s valid_from, or deleted_at; NULL = current.');
        execute format('comment on column staging.%I.deleted_at is %L', t || '_history',
            'Set on the last version of a row deleted in the source: when the platform saw it gone.');
    end loop;
end
$$;
-- A customer's bins as of a moment (customer_daily's active bins).
create index bins_history_customer on staging.bins_history (customer_id, valid_from);

-- Keys that the reconcile found in staging but no longer in the source, landed like rows.
create table raw.deletions (
    source_table text not null,
    id text not null,
    partition_key text not null,
    load_id text not null,
    detected_at timestamptz not null default now()
);
create index raw_deletions_partition on raw.deletions (source_table, partition_key);

-- Evidence of every applied delete: which row, its last version, and when the platform saw it go.
create table quality.deleted_rows (
    source_table text not null,
    source_id text not null,
    last_updated_at timestamptz,
    partition_key text not null,
    load_id text not null,
    deleted_at timestamptz not null,
    primary key (source_table, source_id, deleted_at)
);
create index deleted_rows_partition on quality.deleted_rows (source_table, partition_key);

-- Entities whose past a load changed: one row per (source table, valid day before the run's
-- range, entity) -- a late parent's history, a correction of an old event, a deleted old event.
-- Each feature view recomputes those entities from that day on (only those entities), so its
-- rows reflect a change from the change's valid time on, not only within the nightly lookback.
create table staging.late_changes (
    source_table text not null,
    day date not null,
    entity_key text not null,
    entity_id uuid not null,
    noted_at timestamptz not null default now(),
    primary key (source_table, day, entity_key, entity_id)
);
create table features.late_changes_applied (
    view_name text not null,
    source_table text not null,
    day date not null,
    entity_id uuid not null,
    noted_at timestamptz not null,
    primary key (view_name, source_table, day, entity_id)
);

alter table quality.rejected_rows
    add column resolved_at timestamptz,
    add column resolved_load_id text;
create index rejected_rows_open on quality.rejected_rows (source_table)
    where resolved_at is null;

alter table quality.ingest_counts
    add column rows_resolved bigint not null default 0,
    add column rows_deleted bigint not null default 0;

comment on table staging.organizations_history is 'Every version of each organization with its valid time (valid_from, valid_to; NULL = current).';
comment on table staging.customers_history is 'Every version of each customer with its valid time (valid_from, valid_to; NULL = current). Holds PII: never exposed to analysts or features.';
comment on table staging.bins_history is 'Every version of each bin with its valid time (valid_from, valid_to; NULL = current).';
comment on table staging.vehicles_history is 'Every version of each vehicle with its valid time (valid_from, valid_to; NULL = current).';
comment on table staging.routes_history is 'Every version of each route with its valid time (valid_from, valid_to; NULL = current).';
comment on table staging.late_changes is 'Entities whose past (valid time before the loading run''s range) a load changed: feature views recompute them from that day.';
comment on column staging.late_changes.source_table is 'Operational table whose rows changed.';
comment on column staging.late_changes.day is 'UTC day of the changed rows'' valid time (service_date, route_date, or a version''s valid_from).';
comment on column staging.late_changes.entity_key is 'Which entity the changed row belongs to: customer_id, bin_id or vehicle_id.';
comment on column staging.late_changes.entity_id is 'The entity.';
comment on column staging.late_changes.noted_at is 'When the change was last noted.';
comment on table features.late_changes_applied is 'Which late changes each feature view has recomputed (noted_at as applied).';
comment on column features.late_changes_applied.view_name is 'Feature view (features.<view_name>).';
comment on column features.late_changes_applied.source_table is 'Operational table whose late change was applied.';
comment on column features.late_changes_applied.day is 'The late change''s day.';
comment on column features.late_changes_applied.entity_id is 'The entity recomputed.';
comment on column features.late_changes_applied.noted_at is 'noted_at of the change when the view applied it: a newer note is applied again.';
comment on table raw.deletions is 'Tombstones: ids the reconcile found staged but gone from the source, landed per partition.';
comment on table quality.deleted_rows is 'Rows deleted in the source and removed from staging: one row per delete, kept as evidence.';
comment on column quality.rejected_rows.resolved_at is 'When a row rejected for an unknown parent was staged after its parent arrived (NULL = still open).';
comment on column quality.rejected_rows.resolved_load_id is 'The load (Dagster run) that staged the row once its parent arrived.';
comment on column quality.ingest_counts.rows_resolved is 'Rejected rows of this partition staged later, once their parent arrived (reported beside the identity).';
comment on column quality.ingest_counts.rows_deleted is 'Rows deleted in the source whose tombstone landed in this partition.';
comment on column quality.deleted_rows.source_table is 'Operational table the row was deleted from.';
comment on column quality.deleted_rows.source_id is 'The deleted row''s id.';
comment on column quality.deleted_rows.last_updated_at is 'updated_at of the last version staging held.';
comment on column quality.deleted_rows.partition_key is 'Ingest partition whose run saw the row gone.';
comment on column quality.deleted_rows.load_id is 'Dagster run that applied the delete.';
comment on column quality.deleted_rows.deleted_at is 'When the platform saw the row gone (the closed version''s valid_to).';
comment on column raw.deletions.source_table is 'Operational table the key vanished from.';
comment on column raw.deletions.id is 'The vanished id.';
comment on column raw.deletions.partition_key is 'Partition of the run that detected it.';
comment on column raw.deletions.load_id is 'Dagster run that detected it.';
comment on column raw.deletions.detected_at is 'When the reconcile saw the key gone.';
