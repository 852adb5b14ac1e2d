-- One feature view's row for each label, as of label_ts: the newest feature_ts of the same
-- entity within [label_ts - ttl, label_ts], or none (a LATERAL fragment of training/pit_join).
-- The view's primary key (entity key, feature_ts) answers it with one backward index probe. A
-- view whose table holds variants (topic fits) reads one of them only.
left join lateral (
    select {columns}
    from {view_table} as f
    where f.{entity_key} = l.{entity_key}
        and f.feature_ts <= l.label_ts
        and f.feature_ts >= l.label_ts - {ttl}::interval{variant_filter}
    order by f.feature_ts desc
    limit 1
) as {alias} on true
