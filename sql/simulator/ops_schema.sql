-- The operational source tables (schema ops) the simulator fills, each indexed on updated_at.
-- Deliberately loose: no foreign keys, no checks; ingest must catch the bad rows itself.
create schema if not exists ops;

create table if not exists ops.organizations (
    id uuid primary key,
    name text,
    created_at timestamptz,
    updated_at timestamptz
);

create table if not exists ops.customers (
    id uuid primary key,
    organization_id uuid,
    name text,
    email text,
    service_address text,
    service_tier text,
    status text,
    churned_at timestamptz,
    lat double precision,
    lon double precision,
    created_at timestamptz,
    updated_at timestamptz
);

create table if not exists ops.bins (
    id uuid primary key,
    customer_id uuid,
    organization_id uuid,
    bin_type text,
    capacity_liters integer,
    lat double precision,
    lon double precision,
    installed_at timestamptz,
    status text,
    created_at timestamptz,
    updated_at timestamptz
);

create table if not exists ops.vehicles (
    id uuid primary key,
    organization_id uuid,
    plate text,
    vehicle_type text,
    capacity_kg double precision,
    commissioned_at timestamptz,
    odometer_km double precision,
    status text,
    created_at timestamptz,
    updated_at timestamptz
);

create table if not exists ops.routes (
    id uuid primary key,
    organization_id uuid,
    vehicle_id uuid,
    route_date date,
    planned_stops integer,
    completed_stops integer,
    total_distance_km double precision,
    total_duration_min double precision,
    status text,
    created_at timestamptz,
    updated_at timestamptz
);

create table if not exists ops.service_events (
    id uuid primary key,
    organization_id uuid,
    customer_id uuid,
    bin_id uuid,
    route_id uuid,
    vehicle_id uuid,
    event_type text,
    service_date timestamptz,
    fill_level_pct double precision,
    weight_kg double precision,
    description text,
    status text,
    created_at timestamptz,
    updated_at timestamptz
);

create index if not exists organizations_updated_at on ops.organizations (updated_at);
create index if not exists customers_updated_at on ops.customers (updated_at);
create index if not exists bins_updated_at on ops.bins (updated_at);
create index if not exists vehicles_updated_at on ops.vehicles (updated_at);
create index if not exists routes_updated_at on ops.routes (updated_at);
create index if not exists service_events_updated_at on ops.service_events (updated_at);
