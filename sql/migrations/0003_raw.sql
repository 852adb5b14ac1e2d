-- Landing tables: every operational column as text (so unparseable values land and can be
-- quarantined with a reason), plus the load metadata. A partition is the UTC day of updated_at.
create table raw.organizations (
    partition_key text not null, load_id text not null, loaded_at timestamptz not null default now(),
    id text, name text, created_at text, updated_at text
);
create table raw.customers (
    partition_key text not null, load_id text not null, loaded_at timestamptz not null default now(),
    id text, organization_id text, name text, email text, service_address text, service_tier text,
    status text, churned_at text, lat text, lon text, created_at text, updated_at text
);
create table raw.bins (
    partition_key text not null, load_id text not null, loaded_at timestamptz not null default now(),
    id text, customer_id text, organization_id text, bin_type text, capacity_liters text,
    lat text, lon text, installed_at text, status text, created_at text, updated_at text
);
create table raw.vehicles (
    partition_key text not null, load_id text not null, loaded_at timestamptz not null default now(),
    id text, organization_id text, plate text, vehicle_type text, capacity_kg text,
    commissioned_at text, odometer_km text, status text, created_at text, updated_at text
);
create table raw.routes (
    partition_key text not null, load_id text not null, loaded_at timestamptz not null default now(),
    id text, organization_id text, vehicle_id text, route_date text, planned_stops text,
    completed_stops text, total_distance_km text, total_duration_min text, status text,
    created_at text, updated_at text
);
create table raw.service_events (
    partition_key text not null, load_id text not null, loaded_at timestamptz not null default now(),
    id text, organization_id text, customer_id text, bin_id text, route_id text, vehicle_id text,
    event_type text, service_date text, fill_level_pct text, weight_kg text, description text,
    status text, created_at text, updated_at text
);
create index raw_organizations_partition on raw.organizations (partition_key);
create index raw_customers_partition on raw.customers (partition_key);
create index raw_bins_partition on raw.bins (partition_key);
create index raw_vehicles_partition on raw.vehicles (partition_key);
create index raw_routes_partition on raw.routes (partition_key);
create index raw_service_events_partition on raw.service_events (partition_key);
