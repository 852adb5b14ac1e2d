-- A training dataset table, one row per label (entity, label_ts): the label, then for each
-- feature view its row as of label_ts (the greatest feature_ts of the same entity within
-- [label_ts - ttl, label_ts]; NULLs when there is none), then the split by time: test from
-- test_from, valid from valid_from, train before. Each view joins as a training/pit_view fragment.
create table {target} as
select
    l.{entity_key},
    l.label_ts,
    l.label,
    {feature_columns},
    (case
        when l.label_ts >= coalesce(%(test_from)s::timestamptz, 'infinity') then 'test'
        when l.label_ts >= coalesce(%(valid_from)s::timestamptz, 'infinity') then 'valid'
        else 'train'
    end)::text as split
from {labels} as l
{view_joins}
