-- Feature store (typed daily views, their registry) and the training-dataset registry.
-- A feature row is valid from feature_ts (the end of its day); source_max_ts is the latest
-- source time folded into it, so leakage (a value known later than it claims) is checkable.
create table features.customer_daily (
    customer_id uuid not null,
    feature_ts timestamptz not null,
    source_max_ts timestamptz,
    service_tier text not null,
    tenure_days integer not null,
    active_bins integer not null,
    pickups_7d integer not null, pickups_30d integer not null, pickups_90d integer not null,
    missed_pickups_7d integer not null, missed_pickups_30d integer not null,
    missed_pickups_90d integer not null,
    complaints_7d integer not null, complaints_30d integer not null, complaints_90d integer not null,
    overflow_reports_7d integer not null, overflow_reports_30d integer not null,
    overflow_reports_90d integer not null,
    days_since_missed_pickup integer,
    avg_fill_level_30d double precision,
    kg_collected_30d double precision not null,
    kg_trend_30d double precision not null,
    primary key (customer_id, feature_ts)
);

create table features.vehicle_daily (
    vehicle_id uuid not null,
    feature_ts timestamptz not null,
    source_max_ts timestamptz,
    vehicle_type text,
    age_days integer,
    odometer_km double precision,
    km_7d double precision not null, km_30d double precision not null,
    route_days_30d integer not null,
    days_since_maintenance integer,
    km_since_maintenance double precision,
    maintenance_180d integer not null,
    breakdowns_90d integer not null,
    capacity_utilisation_30d double precision,
    primary key (vehicle_id, feature_ts)
);

create table features.bin_daily (
    bin_id uuid not null,
    feature_ts timestamptz not null,
    source_max_ts timestamptz,
    bin_type text not null,
    capacity_liters integer not null,
    weekday smallint not null,
    month smallint not null,
    avg_fill_level_7d double precision, avg_fill_level_28d double precision,
    max_fill_level_28d double precision,
    overflow_reports_28d integer not null,
    pickups_28d integer not null,
    kg_collected_7d double precision not null, kg_collected_28d double precision not null,
    days_since_service integer,
    primary key (bin_id, feature_ts)
);

create index customer_daily_feature_ts on features.customer_daily (feature_ts);
create index vehicle_daily_feature_ts on features.vehicle_daily (feature_ts);
create index bin_daily_feature_ts on features.bin_daily (feature_ts);

create table features.registry (
    view_name text not null,
    version text not null,
    entity_key text not null,
    ttl interval not null,
    feature_columns jsonb not null,
    source_tables text[] not null,
    code_version text not null,
    row_count bigint not null,
    freshness_ts timestamptz,
    quality_score numeric,
    created_at timestamptz not null default now(),
    primary key (view_name, version)
);

create table training.datasets (
    task text not null,
    version text not null,
    row_count bigint not null,
    split_counts jsonb not null,
    label_balance jsonb not null,
    feature_views jsonb not null,
    parquet_path text not null,
    run_id text,
    created_at timestamptz not null default now(),
    primary key (task, version)
);

comment on table features.registry is 'One row per feature view version: entity, ttl, schema, sources, size, freshness and data-quality score.';
comment on table training.datasets is 'One row per training dataset version: split sizes, label balance, the feature view versions it read, its Parquet snapshot.';

-- Online serving: the latest row per entity of each view.
create view features.customer_daily_latest as
    select distinct on (customer_id) * from features.customer_daily
    order by customer_id, feature_ts desc;
create view features.vehicle_daily_latest as
    select distinct on (vehicle_id) * from features.vehicle_daily
    order by vehicle_id, feature_ts desc;
create view features.bin_daily_latest as
    select distinct on (bin_id) * from features.bin_daily
    order by bin_id, feature_ts desc;
