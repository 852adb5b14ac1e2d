-- A training dataset table, one row per label (entity, label_ts): the label, then for each
-- feature view its row as of label_ts (the greatest feature_ts of the same entity within
-- [label_ts - ttl, label_ts]; NULLs when there is none), then the split by time: test from
-- test_from, valid from valid_from, train before. Each view joins as a training/pit_view fragment.
-- The purge (purge_horizon set; NULL turns it off) drops each row whose label window
-- (label_ts, label_ts + horizon] reaches past the start of the next split: train rows past
-- valid_from, valid rows past test_from. Rows are dropped, never moved to another split.
create table {target} as
select
    l.{entity_key},
    l.label_ts,
    l.label,
    {feature_columns},
    l.split
from (
    select
        labels.*,
        (case
            when labels.label_ts >= coalesce(%(test_from)s::timestamptz, 'infinity') then 'test'
            when labels.label_ts >= coalesce(%(valid_from)s::timestamptz, 'infinity') then 'valid'
            else 'train'
        end)::text as split
    from {labels} as labels
) as l
{view_joins}
where %(purge_horizon)s::interval is null
    or l.label_ts + %(purge_horizon)s::interval <= (case l.split
        when 'train' then coalesce(%(valid_from)s::timestamptz, 'infinity')
        when 'valid' then coalesce(%(test_from)s::timestamptz, 'infinity')
        else 'infinity'
    end)
