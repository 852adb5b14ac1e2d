-- Comments on every column of the tables and views created by migrations 0002-0007 in quality,
-- features, training (training.datasets), vectors and ml, and on the tables and views that had
-- none: `platform-assets docs` turns them into docs/DATA_DICTIONARY.md. Times are UTC; a "day"
-- is a UTC calendar day. training.<task> tables are rebuilt at run time and are not covered here.

-- quality ---------------------------------------------------------------------------------------
comment on column quality.rejected_rows.source_table is 'Operational table the row was landed from (e.g. service_events).';
comment on column quality.rejected_rows.source_id is 'The row''s id as landed (text, so an unparseable id is kept too); null when missing.';
comment on column quality.rejected_rows.reason is 'The first validation rule the row broke.';
comment on column quality.rejected_rows.raw_row is 'The landed row, every column as text: may contain PII.';
comment on column quality.rejected_rows.partition_key is 'Ingest partition (UTC day of updated_at, YYYY-MM-DD) the row arrived in.';
comment on column quality.rejected_rows.run_id is 'Dagster run that rejected the row.';
comment on column quality.rejected_rows.rejected_at is 'When the row was rejected.';

comment on column quality.ingest_counts.source_table is 'Operational table the partition was landed from.';
comment on column quality.ingest_counts.partition_key is 'Ingest partition (UTC day of updated_at, YYYY-MM-DD).';
comment on column quality.ingest_counts.rows_in is 'Rows landed in raw for this table and partition.';
comment on column quality.ingest_counts.rows_staged is 'Rows that passed validation and were written to staging.';
comment on column quality.ingest_counts.rows_rejected is 'Rows that failed validation (see quality.rejected_rows).';
comment on column quality.ingest_counts.rows_superseded is 'Valid rows replaced by a newer version of the same id in the same batch.';
comment on column quality.ingest_counts.run_id is 'Dagster run that staged the partition.';
comment on column quality.ingest_counts.counted_at is 'When these counts were recorded.';

comment on column quality.check_results.asset_key is 'Asset the check ran on, as a path (e.g. features/customer_daily).';
comment on column quality.check_results.check_name is 'Name of the data-quality check (asset check).';
comment on column quality.check_results.partition_key is 'Partition checked (YYYY-MM-DD), or null for an unpartitioned asset.';
comment on column quality.check_results.passed is 'True when the check passed.';
comment on column quality.check_results.severity is 'error for blocking checks (a failure stops downstream steps), warn otherwise.';
comment on column quality.check_results.observed is 'Observed values and thresholds of the check, as JSON.';
comment on column quality.check_results.run_id is 'Dagster run that executed the check.';
comment on column quality.check_results.checked_at is 'When the check ran.';

-- features: customer_daily ----------------------------------------------------------------------
comment on table features.customer_daily is 'Customer features per day: one row per (customer_id, feature_ts) while the customer exists and has not churned; windows end with the day.';
comment on column features.customer_daily.customer_id is 'The customer (staging.customers.id).';
comment on column features.customer_daily.feature_ts is 'When the values became valid and usable: the end of the day they describe (midnight UTC after it).';
comment on column features.customer_daily.source_max_ts is 'Latest source timestamp folded into the row; never later than feature_ts.';
comment on column features.customer_daily.service_tier is 'The customer''s service tier.';
comment on column features.customer_daily.tenure_days is 'Days from the customer''s creation to feature_ts.';
comment on column features.customer_daily.active_bins is 'Bins installed at the customer and not removed at feature_ts.';
comment on column features.customer_daily.pickups_7d is 'Pickups at the customer''s bins in the 7 days ending at feature_ts.';
comment on column features.customer_daily.pickups_30d is 'Pickups at the customer''s bins in the 30 days ending at feature_ts.';
comment on column features.customer_daily.pickups_90d is 'Pickups at the customer''s bins in the 90 days ending at feature_ts.';
comment on column features.customer_daily.missed_pickups_7d is 'Missed pickups for the customer in the 7 days ending at feature_ts.';
comment on column features.customer_daily.missed_pickups_30d is 'Missed pickups for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_daily.missed_pickups_90d is 'Missed pickups for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_daily.complaints_7d is 'Complaints by the customer in the 7 days ending at feature_ts.';
comment on column features.customer_daily.complaints_30d is 'Complaints by the customer in the 30 days ending at feature_ts.';
comment on column features.customer_daily.complaints_90d is 'Complaints by the customer in the 90 days ending at feature_ts.';
comment on column features.customer_daily.overflow_reports_7d is 'Overflow reports on the customer''s bins in the 7 days ending at feature_ts.';
comment on column features.customer_daily.overflow_reports_30d is 'Overflow reports on the customer''s bins in the 30 days ending at feature_ts.';
comment on column features.customer_daily.overflow_reports_90d is 'Overflow reports on the customer''s bins in the 90 days ending at feature_ts.';
comment on column features.customer_daily.days_since_missed_pickup is 'Days since the customer''s last missed pickup (0 = that day); null if none in the last 90 days.';
comment on column features.customer_daily.avg_fill_level_30d is 'Mean reported fill level (percent, 0-100) of the customer''s events in the 30 days ending at feature_ts; null without readings.';
comment on column features.customer_daily.kg_collected_30d is 'Kilograms collected from the customer''s bins in the 30 days ending at feature_ts.';
comment on column features.customer_daily.kg_trend_30d is 'Kilograms collected in the last 30 days minus the 30 days before them (positive = growing).';

-- features: vehicle_daily -----------------------------------------------------------------------
comment on table features.vehicle_daily is 'Vehicle features per day: one row per (vehicle_id, feature_ts) once the vehicle is commissioned; windows end with the day.';
comment on column features.vehicle_daily.vehicle_id is 'The vehicle (staging.vehicles.id).';
comment on column features.vehicle_daily.feature_ts is 'When the values became valid and usable: the end of the day they describe (midnight UTC after it).';
comment on column features.vehicle_daily.source_max_ts is 'Latest source timestamp folded into the row; never later than feature_ts.';
comment on column features.vehicle_daily.vehicle_type is 'The vehicle''s type.';
comment on column features.vehicle_daily.age_days is 'Days from commissioning to feature_ts.';
comment on column features.vehicle_daily.odometer_km is 'Odometer reading in km at the end of the day (current reading minus the km driven since).';
comment on column features.vehicle_daily.km_7d is 'Kilometres driven on routes in the 7 days ending at feature_ts.';
comment on column features.vehicle_daily.km_30d is 'Kilometres driven on routes in the 30 days ending at feature_ts.';
comment on column features.vehicle_daily.route_days_30d is 'Routes with at least one completed stop in the 30 days ending at feature_ts.';
comment on column features.vehicle_daily.days_since_maintenance is 'Days since the last maintenance event; null if none in the last 180 days.';
comment on column features.vehicle_daily.km_since_maintenance is 'Kilometres driven since the last maintenance; without one in 180 days, the km of those 180 days (a lower bound).';
comment on column features.vehicle_daily.maintenance_180d is 'Maintenance events in the 180 days ending at feature_ts.';
comment on column features.vehicle_daily.breakdowns_90d is 'Breakdowns in the 90 days ending at feature_ts.';
comment on column features.vehicle_daily.capacity_utilisation_30d is 'Kilograms collected in 30 days per (capacity_kg x route days): average load as a share of capacity; null without routes.';

-- features: bin_daily ---------------------------------------------------------------------------
comment on table features.bin_daily is 'Bin features per day: one row per (bin_id, feature_ts) while the bin is installed and not removed; windows end with the day.';
comment on column features.bin_daily.bin_id is 'The bin (staging.bins.id).';
comment on column features.bin_daily.feature_ts is 'When the values became valid and usable: the end of the day they describe (midnight UTC after it).';
comment on column features.bin_daily.source_max_ts is 'Latest source timestamp folded into the row; never later than feature_ts.';
comment on column features.bin_daily.bin_type is 'The bin''s type (waste stream).';
comment on column features.bin_daily.capacity_liters is 'The bin''s capacity in litres.';
comment on column features.bin_daily.weekday is 'ISO weekday of the day described (1 = Monday ... 7 = Sunday).';
comment on column features.bin_daily.month is 'Month of the day described (1-12).';
comment on column features.bin_daily.avg_fill_level_7d is 'Mean reported fill level (percent, 0-100) in the 7 days ending at feature_ts; null without readings.';
comment on column features.bin_daily.avg_fill_level_28d is 'Mean reported fill level (percent, 0-100) in the 28 days ending at feature_ts; null without readings.';
comment on column features.bin_daily.max_fill_level_28d is 'Highest reported fill level (percent, 0-100) in the 28 days ending at feature_ts; null without readings.';
comment on column features.bin_daily.overflow_reports_28d is 'Overflow reports on the bin in the 28 days ending at feature_ts.';
comment on column features.bin_daily.pickups_28d is 'Pickups of the bin in the 28 days ending at feature_ts.';
comment on column features.bin_daily.kg_collected_7d is 'Kilograms collected from the bin in the 7 days ending at feature_ts.';
comment on column features.bin_daily.kg_collected_28d is 'Kilograms collected from the bin in the 28 days ending at feature_ts.';
comment on column features.bin_daily.days_since_service is 'Days since the bin''s last pickup (0 = that day); null if none in the last 90 days.';

-- features: customer_topics_daily ---------------------------------------------------------------
comment on column features.customer_topics_daily.customer_id is 'The customer (staging.customers.id).';
comment on column features.customer_topics_daily.feature_ts is 'When the values became valid and usable: the end of the day they describe (midnight UTC after it).';
comment on column features.customer_topics_daily.source_max_ts is 'Latest source timestamp folded into the row; never later than feature_ts.';
comment on column features.customer_topics_daily.topic_0_30d is 'Complaint-like events of topic 0 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_1_30d is 'Complaint-like events of topic 1 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_2_30d is 'Complaint-like events of topic 2 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_3_30d is 'Complaint-like events of topic 3 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_4_30d is 'Complaint-like events of topic 4 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_5_30d is 'Complaint-like events of topic 5 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_6_30d is 'Complaint-like events of topic 6 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_7_30d is 'Complaint-like events of topic 7 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_0_90d is 'Complaint-like events of topic 0 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_1_90d is 'Complaint-like events of topic 1 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_2_90d is 'Complaint-like events of topic 2 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_3_90d is 'Complaint-like events of topic 3 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_4_90d is 'Complaint-like events of topic 4 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_5_90d is 'Complaint-like events of topic 5 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_6_90d is 'Complaint-like events of topic 6 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily.topic_7_90d is 'Complaint-like events of topic 7 (vectors.topics) for the customer in the 90 days ending at feature_ts.';

-- features: registry ----------------------------------------------------------------------------
comment on column features.registry.view_name is 'Feature view name (the table features.<view_name>).';
comment on column features.registry.version is 'Version of the view: a hash of its SQL, schema and ttl.';
comment on column features.registry.entity_key is 'The view''s entity key column (customer_id, vehicle_id or bin_id).';
comment on column features.registry.ttl is 'How long a feature row stays usable after its feature_ts in point-in-time joins.';
comment on column features.registry.feature_columns is 'The view''s columns and their types, as JSON.';
comment on column features.registry.source_tables is 'Tables the view is computed from.';
comment on column features.registry.code_version is 'Version of the code that computed the view.';
comment on column features.registry.row_count is 'Rows in the view when this version was last materialized.';
comment on column features.registry.freshness_ts is 'Greatest feature_ts in the view when last materialized.';
comment on column features.registry.quality_score is 'Share of the view''s data-quality checks that passed (0-1) in the last materialization.';
comment on column features.registry.created_at is 'When this version was last registered or refreshed.';

-- features: the _latest views (the newest row per entity) ---------------------------------------
comment on view features.customer_daily_latest is 'The newest features.customer_daily row of each customer (online serving); same columns.';
comment on view features.vehicle_daily_latest is 'The newest features.vehicle_daily row of each vehicle (online serving); same columns.';
comment on view features.bin_daily_latest is 'The newest features.bin_daily row of each bin (online serving); same columns.';
comment on view features.customer_topics_daily_latest is 'The newest features.customer_topics_daily row of each customer (online serving); same columns.';

-- the _latest views' columns mean what their base tables' columns mean
comment on column features.customer_daily_latest.customer_id is 'The customer (staging.customers.id).';
comment on column features.customer_daily_latest.feature_ts is 'When the values became valid and usable: the end of the day they describe (midnight UTC after it).';
comment on column features.customer_daily_latest.source_max_ts is 'Latest source timestamp folded into the row; never later than feature_ts.';
comment on column features.customer_daily_latest.service_tier is 'The customer''s service tier.';
comment on column features.customer_daily_latest.tenure_days is 'Days from the customer''s creation to feature_ts.';
comment on column features.customer_daily_latest.active_bins is 'Bins installed at the customer and not removed at feature_ts.';
comment on column features.customer_daily_latest.pickups_7d is 'Pickups at the customer''s bins in the 7 days ending at feature_ts.';
comment on column features.customer_daily_latest.pickups_30d is 'Pickups at the customer''s bins in the 30 days ending at feature_ts.';
comment on column features.customer_daily_latest.pickups_90d is 'Pickups at the customer''s bins in the 90 days ending at feature_ts.';
comment on column features.customer_daily_latest.missed_pickups_7d is 'Missed pickups for the customer in the 7 days ending at feature_ts.';
comment on column features.customer_daily_latest.missed_pickups_30d is 'Missed pickups for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_daily_latest.missed_pickups_90d is 'Missed pickups for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_daily_latest.complaints_7d is 'Complaints by the customer in the 7 days ending at feature_ts.';
comment on column features.customer_daily_latest.complaints_30d is 'Complaints by the customer in the 30 days ending at feature_ts.';
comment on column features.customer_daily_latest.complaints_90d is 'Complaints by the customer in the 90 days ending at feature_ts.';
comment on column features.customer_daily_latest.overflow_reports_7d is 'Overflow reports on the customer''s bins in the 7 days ending at feature_ts.';
comment on column features.customer_daily_latest.overflow_reports_30d is 'Overflow reports on the customer''s bins in the 30 days ending at feature_ts.';
comment on column features.customer_daily_latest.overflow_reports_90d is 'Overflow reports on the customer''s bins in the 90 days ending at feature_ts.';
comment on column features.customer_daily_latest.days_since_missed_pickup is 'Days since the customer''s last missed pickup (0 = that day); null if none in the last 90 days.';
comment on column features.customer_daily_latest.avg_fill_level_30d is 'Mean reported fill level (percent, 0-100) of the customer''s events in the 30 days ending at feature_ts; null without readings.';
comment on column features.customer_daily_latest.kg_collected_30d is 'Kilograms collected from the customer''s bins in the 30 days ending at feature_ts.';
comment on column features.customer_daily_latest.kg_trend_30d is 'Kilograms collected in the last 30 days minus the 30 days before them (positive = growing).';
comment on column features.vehicle_daily_latest.vehicle_id is 'The vehicle (staging.vehicles.id).';
comment on column features.vehicle_daily_latest.feature_ts is 'When the values became valid and usable: the end of the day they describe (midnight UTC after it).';
comment on column features.vehicle_daily_latest.source_max_ts is 'Latest source timestamp folded into the row; never later than feature_ts.';
comment on column features.vehicle_daily_latest.vehicle_type is 'The vehicle''s type.';
comment on column features.vehicle_daily_latest.age_days is 'Days from commissioning to feature_ts.';
comment on column features.vehicle_daily_latest.odometer_km is 'Odometer reading in km at the end of the day (current reading minus the km driven since).';
comment on column features.vehicle_daily_latest.km_7d is 'Kilometres driven on routes in the 7 days ending at feature_ts.';
comment on column features.vehicle_daily_latest.km_30d is 'Kilometres driven on routes in the 30 days ending at feature_ts.';
comment on column features.vehicle_daily_latest.route_days_30d is 'Routes with at least one completed stop in the 30 days ending at feature_ts.';
comment on column features.vehicle_daily_latest.days_since_maintenance is 'Days since the last maintenance event; null if none in the last 180 days.';
comment on column features.vehicle_daily_latest.km_since_maintenance is 'Kilometres driven since the last maintenance; without one in 180 days, the km of those 180 days (a lower bound).';
comment on column features.vehicle_daily_latest.maintenance_180d is 'Maintenance events in the 180 days ending at feature_ts.';
comment on column features.vehicle_daily_latest.breakdowns_90d is 'Breakdowns in the 90 days ending at feature_ts.';
comment on column features.vehicle_daily_latest.capacity_utilisation_30d is 'Kilograms collected in 30 days per (capacity_kg x route days): average load as a share of capacity; null without routes.';
comment on column features.bin_daily_latest.bin_id is 'The bin (staging.bins.id).';
comment on column features.bin_daily_latest.feature_ts is 'When the values became valid and usable: the end of the day they describe (midnight UTC after it).';
comment on column features.bin_daily_latest.source_max_ts is 'Latest source timestamp folded into the row; never later than feature_ts.';
comment on column features.bin_daily_latest.bin_type is 'The bin''s type (waste stream).';
comment on column features.bin_daily_latest.capacity_liters is 'The bin''s capacity in litres.';
comment on column features.bin_daily_latest.weekday is 'ISO weekday of the day described (1 = Monday ... 7 = Sunday).';
comment on column features.bin_daily_latest.month is 'Month of the day described (1-12).';
comment on column features.bin_daily_latest.avg_fill_level_7d is 'Mean reported fill level (percent, 0-100) in the 7 days ending at feature_ts; null without readings.';
comment on column features.bin_daily_latest.avg_fill_level_28d is 'Mean reported fill level (percent, 0-100) in the 28 days ending at feature_ts; null without readings.';
comment on column features.bin_daily_latest.max_fill_level_28d is 'Highest reported fill level (percent, 0-100) in the 28 days ending at feature_ts; null without readings.';
comment on column features.bin_daily_latest.overflow_reports_28d is 'Overflow reports on the bin in the 28 days ending at feature_ts.';
comment on column features.bin_daily_latest.pickups_28d is 'Pickups of the bin in the 28 days ending at feature_ts.';
comment on column features.bin_daily_latest.kg_collected_7d is 'Kilograms collected from the bin in the 7 days ending at feature_ts.';
comment on column features.bin_daily_latest.kg_collected_28d is 'Kilograms collected from the bin in the 28 days ending at feature_ts.';
comment on column features.bin_daily_latest.days_since_service is 'Days since the bin''s last pickup (0 = that day); null if none in the last 90 days.';
comment on column features.customer_topics_daily_latest.customer_id is 'The customer (staging.customers.id).';
comment on column features.customer_topics_daily_latest.feature_ts is 'When the values became valid and usable: the end of the day they describe (midnight UTC after it).';
comment on column features.customer_topics_daily_latest.source_max_ts is 'Latest source timestamp folded into the row; never later than feature_ts.';
comment on column features.customer_topics_daily_latest.topic_0_30d is 'Complaint-like events of topic 0 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_1_30d is 'Complaint-like events of topic 1 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_2_30d is 'Complaint-like events of topic 2 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_3_30d is 'Complaint-like events of topic 3 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_4_30d is 'Complaint-like events of topic 4 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_5_30d is 'Complaint-like events of topic 5 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_6_30d is 'Complaint-like events of topic 6 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_7_30d is 'Complaint-like events of topic 7 (vectors.topics) for the customer in the 30 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_0_90d is 'Complaint-like events of topic 0 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_1_90d is 'Complaint-like events of topic 1 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_2_90d is 'Complaint-like events of topic 2 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_3_90d is 'Complaint-like events of topic 3 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_4_90d is 'Complaint-like events of topic 4 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_5_90d is 'Complaint-like events of topic 5 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_6_90d is 'Complaint-like events of topic 6 (vectors.topics) for the customer in the 90 days ending at feature_ts.';
comment on column features.customer_topics_daily_latest.topic_7_90d is 'Complaint-like events of topic 7 (vectors.topics) for the customer in the 90 days ending at feature_ts.';

-- training ----------------------------------------------------------------------------------------
comment on column training.datasets.task is 'Prediction task, also the dataset table training.<task> (churn_risk, maintenance_prediction, demand_forecast).';
comment on column training.datasets.version is 'Content hash of the code, the label window, the feature view versions and the built rows.';
comment on column training.datasets.row_count is 'Label rows in the dataset, all splits.';
comment on column training.datasets.split_counts is 'Rows per split, as JSON: {"train": n, "valid": n, "test": n}.';
comment on column training.datasets.label_balance is 'Label distribution, as JSON: the positive rate for classifiers, mean and spread for regression.';
comment on column training.datasets.feature_views is 'The feature views joined and their versions, as JSON {view: version}.';
comment on column training.datasets.parquet_path is 'Path of the Parquet snapshot of the dataset under the artifact directory.';
comment on column training.datasets.run_id is 'Dagster run that built the dataset.';
comment on column training.datasets.created_at is 'When the dataset version was recorded.';

-- vectors ---------------------------------------------------------------------------------------
comment on column vectors.service_event_embeddings.event_id is 'The service event whose description was embedded (staging.service_events.id).';
comment on column vectors.service_event_embeddings.embedding is 'Sentence embedding of the description (384 dimensions, unit length); compare with cosine distance (<=>).';
comment on column vectors.service_event_embeddings.model is 'Name of the sentence-embedding model (e.g. all-MiniLM-L6-v2).';
comment on column vectors.service_event_embeddings.embedded_at is 'When the vector was written.';

comment on column vectors.metadata.id is 'Surrogate key of the catalogue row.';
comment on column vectors.metadata.entity_type is 'Kind of entity the vector describes (service_event).';
comment on column vectors.metadata.entity_id is 'The entity''s id (for service_event: staging.service_events.id).';
comment on column vectors.metadata.vector_id is 'Where the vector lives: table/key.';
comment on column vectors.metadata.model is 'Name of the model that produced the vector.';
comment on column vectors.metadata.model_version is 'Stable id of the weights and encoding settings that produced the vector.';
comment on column vectors.metadata.dimensions is 'Number of dimensions of the vector.';
comment on column vectors.metadata.checksum is 'md5 of the text that was embedded.';
comment on column vectors.metadata.generated_at is 'When the vector was generated.';
comment on column vectors.metadata.organization_id is 'Organization the entity belongs to.';
comment on column vectors.metadata.partition_key is 'The staging partition (UTC day the entity last changed) the vector was generated from.';
comment on column vectors.metadata.run_id is 'Dagster run that generated the vector.';
comment on column vectors.metadata.created_at is 'When the catalogue row was first written.';
comment on column vectors.metadata.updated_at is 'When the catalogue row was last rewritten (re-embedding).';

comment on column vectors.skipped_texts.event_id is 'The service event whose description was not embedded (staging.service_events.id).';
comment on column vectors.skipped_texts.reason is 'Why it was skipped (e.g. an empty description).';
comment on column vectors.skipped_texts.partition_key is 'The staging partition (UTC day the event last changed) it was checked in.';
comment on column vectors.skipped_texts.run_id is 'Dagster run that skipped it.';
comment on column vectors.skipped_texts.checked_at is 'When it was checked.';

comment on column vectors.topics.topic_id is 'Topic number within the fit (0 to k-1); topic_<n>_30d feature columns refer to it.';
comment on column vectors.topics.label is 'Human-readable label: the most typical phrases of the topic''s notes.';
comment on column vectors.topics.size is 'Embedded events assigned to the topic when it was fitted.';
comment on column vectors.topics.model_version is 'Model version of the embeddings the topics were fitted on.';
comment on column vectors.topics.fit_id is 'Id of the fit (changes when k, seed, event types or model change).';
comment on column vectors.topics.k is 'Number of clusters of the fit.';
comment on column vectors.topics.seed is 'Random seed of the k-means fit.';
comment on column vectors.topics.event_types is 'Event types whose notes were clustered.';
comment on column vectors.topics.fit_cutoff is 'Only events before this moment were used to fit the topics.';
comment on column vectors.topics.centroid is 'Centre of the cluster in embedding space (384 dimensions).';
comment on column vectors.topics.fitted_at is 'When the fit was made.';

comment on column vectors.event_topics.event_id is 'The embedded service event (staging.service_events.id).';
comment on column vectors.event_topics.topic_id is 'Its nearest topic (vectors.topics.topic_id).';
comment on column vectors.event_topics.distance is 'Cosine distance from the event''s embedding to the topic centroid (0 = identical direction).';
comment on column vectors.event_topics.fit_id is 'The topic fit the assignment belongs to.';

-- ml --------------------------------------------------------------------------------------------
comment on column ml.models.id is 'Id of the model version.';
comment on column ml.models.model_name is 'Model name, the same as its task (churn_risk, maintenance_prediction, demand_forecast).';
comment on column ml.models.model_version is 'Version number within the model name, from 1.';
comment on column ml.models.model_type is 'Algorithm (e.g. hist_gradient_boosting_classifier).';
comment on column ml.models.model_config is 'Training configuration, as JSON: primary metric, gate thresholds, feature list, training time.';
comment on column ml.models.hyperparameters is 'Hyperparameters of the algorithm, as JSON.';
comment on column ml.models.feature_set_version is 'Feature views the training dataset read and their versions, as JSON {view: version}.';
comment on column ml.models.training_data_version is 'Version of the training dataset (training.datasets.version) the model was trained on.';
comment on column ml.models.training_metrics is 'Metrics on the train split, as JSON (e.g. auc, mae).';
comment on column ml.models.validation_metrics is 'Metrics on the valid split, as JSON.';
comment on column ml.models.test_metrics is 'Metrics on the held-out test split, as JSON; the promotion gate compares these.';
comment on column ml.models.artifact_path is 'Path of the saved model file under the artifact directory.';
comment on column ml.models.artifact_sha256 is 'sha256 of the model file, checked before every load.';
comment on column ml.models.artifact_size_bytes is 'Size of the model file in bytes.';
comment on column ml.models.deployment_status is 'training, staging (a candidate), production (at most one per model name) or retired.';
comment on column ml.models.rollback_model_id is 'The version this one replaced in production, restored by a rollback.';
comment on column ml.models.run_id is 'Dagster run that trained the version.';
comment on column ml.models.created_at is 'When the version was registered.';
comment on column ml.models.deployed_at is 'When the version was last promoted to production.';

comment on column ml.promotion_decisions.model_id is 'The candidate decided on (ml.models.id).';
comment on column ml.promotion_decisions.decision is 'promoted or blocked.';
comment on column ml.promotion_decisions.reasons is 'Every gate rule with its observed values and whether it passed, as JSON.';
comment on column ml.promotion_decisions.decided_at is 'When the decision was made.';
comment on column ml.promotion_decisions.run_id is 'Dagster run that made the decision (null for one from the CLI).';

comment on column ml.audit_log.operation_type is 'What was done: training, gate_decision, forced_promotion, promotion, retirement or rollback.';
comment on column ml.audit_log.model_id is 'The model version concerned (ml.models.id), if any.';
comment on column ml.audit_log.actor is 'Who did it: schedule:<name>, sensor:<name>, backfill:<id>, user:<name> or cli:<user>.';
comment on column ml.audit_log.run_id is 'Dagster run it happened in, if any.';
comment on column ml.audit_log.params is 'Parameters of the operation, as JSON.';
comment on column ml.audit_log.result is 'Result of the operation, as JSON.';
comment on column ml.audit_log.status is 'success, failure or blocked.';
comment on column ml.audit_log.duration_ms is 'Duration of the operation in milliseconds.';
comment on column ml.audit_log.logged_at is 'When the entry was written.';

comment on column ml.predictions.model_id is 'The model version that scored (ml.models.id).';
comment on column ml.predictions.prediction_type is 'Task predicted (churn_risk, maintenance_prediction, demand_forecast).';
comment on column ml.predictions.entity_type is 'Kind of entity scored (customer, vehicle, bin).';
comment on column ml.predictions.entity_id is 'The entity scored (customer_id, vehicle_id or bin_id).';
comment on column ml.predictions.partition_key is 'Day scored (YYYY-MM-DD): features as of its end.';
comment on column ml.predictions.prediction_timestamp is 'As-of time of the prediction (noon UTC the day after partition_key); the horizon starts here.';
comment on column ml.predictions.input_feature_hash is 'Hash of the exact feature values scored: equal hashes mean equal inputs.';
comment on column ml.predictions.prediction_result is 'The prediction, as JSON: score (probability, or kg for demand) and, for classifiers, the thresholded label.';
comment on column ml.predictions.confidence_score is 'Classifiers: max(score, 1 - score), 0.5-1; null for regression.';
comment on column ml.predictions.inference_time_ms is 'Scoring time per entity in milliseconds (batch time divided by its rows).';
comment on column ml.predictions.actual_outcome is 'The observed label once the horizon has passed, as JSON {"label": ...}; null until then.';
comment on column ml.predictions.outcome_timestamp is 'When the outcome became known (the end of the horizon).';
comment on column ml.predictions.prediction_error is 'Score minus the observed label (kg for demand); null until the outcome is known.';
comment on column ml.predictions.prediction_accuracy is 'Classifiers: 1 if the thresholded label was right, else 0; null for regression or before the outcome.';
comment on column ml.predictions.created_at is 'When the prediction was written.';
