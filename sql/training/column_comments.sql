-- What each column of a training dataset table means, for its column comments: keys, label and
-- split by name; a joined feature `<view>__<column>` by the comment of features.<view>.<column>.
select
    a.attname as column_name,
    case
        when a.attname = %(entity_key)s then 'The entity the label is about.'
        when a.attname = 'label_ts' then 'As-of time of the label (noon UTC); features are joined as of it.'
        when a.attname = 'label' then %(label_comment)s
        when a.attname = 'split' then 'train, valid or test: the latest as-of dates are test, the ones before valid.'
        when a.attname like '%%\_\_feature\_ts' then
            'feature_ts of the ' || split_part(a.attname, '__', 1) || ' row joined (null: none within its ttl).'
        when a.attname like '%%\_\_source\_max\_ts' then
            'Latest source time folded into the joined ' || split_part(a.attname, '__', 1) || ' row.'
        else 'As of label_ts: ' || coalesce(
            col_description(
                to_regclass('features.' || split_part(a.attname, '__', 1)),
                (select f.attnum from pg_attribute as f
                 where f.attrelid = to_regclass('features.' || split_part(a.attname, '__', 1))
                   and f.attname = split_part(a.attname, '__', 2))
            ),
            split_part(a.attname, '__', 2) || ' of ' || split_part(a.attname, '__', 1) || '.'
        )
    end as comment
from pg_attribute as a
where a.attrelid = %(table)s::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum
