-- Records (or refreshes) a feature view version in the registry: size, freshness and schema (of
-- one variant's rows, for a view whose table holds several). created_at moves on a refresh too,
-- so the newest row is the version written last (a view whose SQL was reverted is back on its
-- earlier version).
insert into features.registry as r
    (view_name, version, variant, entity_key, ttl, feature_columns, source_tables, code_version,
     row_count, freshness_ts, quality_score, created_at)
select
    %(view_name)s, %(version)s, %(variant)s, %(entity_key)s, %(ttl)s, %(feature_columns)s,
    %(source_tables)s, %(code_version)s, count(*), max(feature_ts), %(quality_score)s,
    clock_timestamp()
from {view_table}
where true{variant_filter}
on conflict (view_name, version) do update
set row_count = excluded.row_count,
    freshness_ts = excluded.freshness_ts,
    quality_score = coalesce(excluded.quality_score, r.quality_score),
    created_at = excluded.created_at
