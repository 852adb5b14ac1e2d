-- One model's reference bins from the rows composed in (day, feature, kind, num, cat): per
-- feature and ISO weekday of the day, the quantile edges (numeric) or the categories (text),
-- the share of rows in each bin and the share missing; grain (model_id, view_name, feature,
-- weekday). Bins as models/drift.py: max_bins quantiles, fewer when a day has under
-- min_per_bin entities a bin.
insert into monitoring.drift_reference (
    model_id, view_name, feature, weekday, kind, bins, edges, categories, shares, missing_share,
    reference_rows, window_first, window_last, variant, run_id
)
with vals as (
    select extract(isodow from r.day)::smallint as weekday, r.day, r.feature, r.kind, r.num, r.cat
    from {rows} as r
),
groups as (
    select
        weekday,
        feature,
        kind,
        count(*) as reference_rows,
        case when kind = 'category' then 0
             else greatest(2, least(%(max_bins)s,
                                    count(*) / count(distinct day) / %(min_per_bin)s))
        end as bins,
        count(*) filter (where num is null and cat is null)::float8 / count(*) as missing_share
    from vals
    group by weekday, feature, kind
),
edges as (
    -- percentile_cont interpolates linearly, as numpy.quantile does; equal edges collapse.
    select
        v.weekday,
        v.feature,
        array(
            select distinct e from unnest(
                percentile_cont(array(select j::float8 / g.bins
                                      from generate_series(1, g.bins - 1) as j))
                    within group (order by v.num)
            ) as e
            where e is not null
            order by e
        ) as edges
    from vals as v
    join groups as g using (weekday, feature)
    where g.kind = 'numeric'
    group by v.weekday, v.feature, g.bins
),
numeric_counts as (
    select v.weekday, v.feature, width_bucket(v.num, e.edges) as bin, count(*) as rows_in_bin
    from vals as v
    join edges as e using (weekday, feature)
    where v.num is not null
    group by v.weekday, v.feature, bin
),
numeric_shares as (
    select
        e.weekday,
        e.feature,
        e.edges,
        array(
            select coalesce(c.rows_in_bin, 0)::float8 / g.reference_rows
            from generate_series(0, cardinality(e.edges)) as b
            left join numeric_counts as c
                on c.weekday = e.weekday and c.feature = e.feature and c.bin = b
            order by b
        ) as shares
    from edges as e
    join groups as g using (weekday, feature)
),
category_shares as (
    select
        c.weekday,
        c.feature,
        array_agg(c.cat order by c.cat) as categories,
        array_agg(c.rows_in_bin::float8 / g.reference_rows order by c.cat) as shares
    from (
        select weekday, feature, cat, count(*) as rows_in_bin
        from vals
        where kind = 'category' and cat is not null
        group by weekday, feature, cat
    ) as c
    join groups as g using (weekday, feature)
    group by c.weekday, c.feature
)
select
    %(model_id)s, %(view_name)s, g.feature, g.weekday, g.kind, g.bins, n.edges,
    case when g.kind = 'category' then coalesce(c.categories, '{{}}') end,
    coalesce(n.shares, c.shares, '{{}}'), g.missing_share, g.reference_rows,
    %(window_first)s, %(window_last)s, %(variant)s, %(run_id)s
from groups as g
left join numeric_shares as n using (weekday, feature)
left join category_shares as c using (weekday, feature)
