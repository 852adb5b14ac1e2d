-- Clean current state of each operational table: typed, one row per id (its newest valid
-- version), with the partition and load it came from. Foreign keys are checked by ingest.
create table staging.organizations (
    id uuid primary key, name text not null, created_at timestamptz not null,
    updated_at timestamptz not null,
    partition_key text not null, load_id text not null, staged_at timestamptz not null
);
create table staging.customers (
    id uuid primary key, organization_id uuid not null, name text, email text,
    service_address text, service_tier text not null, status text not null,
    churned_at timestamptz, lat double precision, lon double precision,
    created_at timestamptz not null, updated_at timestamptz not null,
    partition_key text not null, load_id text not null, staged_at timestamptz not null
);
create table staging.bins (
    id uuid primary key, customer_id uuid not null, organization_id uuid not null,
    bin_type text not null, capacity_liters integer not null, lat double precision,
    lon double precision, installed_at timestamptz, status text not null,
    created_at timestamptz not null, updated_at timestamptz not null,
    partition_key text not null, load_id text not null, staged_at timestamptz not null
);
create table staging.vehicles (
    id uuid primary key, organization_id uuid not null, plate text, vehicle_type text,
    capacity_kg double precision, commissioned_at timestamptz, odometer_km double precision,
    status text not null, created_at timestamptz not null, updated_at timestamptz not null,
    partition_key text not null, load_id text not null, staged_at timestamptz not null
);
create table staging.routes (
    id uuid primary key, organization_id uuid not null, vehicle_id uuid not null,
    route_date date not null, planned_stops integer, completed_stops integer,
    total_distance_km double precision, total_duration_min double precision, status text,
    created_at timestamptz not null, updated_at timestamptz not null,
    partition_key text not null, load_id text not null, staged_at timestamptz not null
);
create table staging.service_events (
    id uuid primary key, organization_id uuid not null, customer_id uuid, bin_id uuid,
    route_id uuid, vehicle_id uuid, event_type text not null, service_date timestamptz not null,
    fill_level_pct double precision, weight_kg double precision, description text, status text,
    created_at timestamptz not null, updated_at timestamptz not null,
    partition_key text not null, load_id text not null, staged_at timestamptz not null
);
create index staging_customers_org on staging.customers (organization_id);
create index staging_bins_customer on staging.bins (customer_id);
create index staging_routes_vehicle_date on staging.routes (vehicle_id, route_date);
create index staging_events_customer_date on staging.service_events (customer_id, service_date);
create index staging_events_bin_date on staging.service_events (bin_id, service_date);
create index staging_events_vehicle_date on staging.service_events (vehicle_id, service_date);
create index staging_events_date on staging.service_events (service_date);

comment on table staging.customers is 'Current customers (one row per id). Holds PII (name, email, service_address): never exposed to analysts or features.';
comment on table staging.service_events is 'Current service events (one row per id): pickups, missed pickups, overflow reports, complaints, vehicle maintenance and breakdowns.';
