-- Staging's current tables are read by partition range every night: ingest/reconcile_relanded
-- for each table, embeddings/candidates for service_events. Without an index on partition_key
-- each of those reads scans the table's whole history, so the night grew with the history
-- (found reading the nightly SQL for the scale-L benchmark; not yet measured at L). Ingest
-- writes touch the index once per row.
create index staging_organizations_partition on staging.organizations (partition_key);
create index staging_customers_partition on staging.customers (partition_key);
create index staging_bins_partition on staging.bins (partition_key);
create index staging_vehicles_partition on staging.vehicles (partition_key);
create index staging_routes_partition on staging.routes (partition_key);
create index staging_service_events_partition on staging.service_events (partition_key);
