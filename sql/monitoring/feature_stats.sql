-- Per feature of one feature view and day in [first_day, last_day]: rows, null rate, mean and
-- percentiles, and the PSI against the reference of each production model reading the feature
-- (the bins of the day's weekday; the highest PSI when several models do), with its level.
-- Grain (view_name, feature, day). The rows composed in: the view's (monitoring/feature_values).
-- Binds view_name, variant, models (jsonb records: model_id, psi_alert, exempt), psi_warn, floor
-- (the share floor of models/drift.py), run_id.
insert into monitoring.feature_stats_daily (
    view_name, feature, day, variant, row_count, null_rate, mean, p05, p50, p95, psi, bins,
    level, psi_warn, psi_alert, reference_model_id, run_id
)
with vals as (
    select day, feature, kind, num, cat
    from {rows} as r
),
models as (
    select *
    from jsonb_to_recordset(%(models)s::jsonb) as m (model_id uuid, psi_alert float8, exempt text[])
),
summary as (
    select
        day,
        feature,
        count(*) as row_count,
        avg((num is null and cat is null)::int)::float8 as null_rate,
        avg(num) as mean,
        percentile_cont(array[0.05, 0.5, 0.95]) within group (order by num) as pct
    from vals
    group by day, feature
),
reference as (
    select s.day, s.row_count, r.*
    from summary as s
    join monitoring.drift_reference as r
        on r.view_name = %(view_name)s
        and r.feature = s.feature
        and r.weekday = extract(isodow from s.day)
    join models as m on m.model_id = r.model_id
),
binned as (
    -- Bins keyed '=' || bin number (numeric) or '=' || value (text); '' is the missing bin.
    select
        r.model_id,
        v.day,
        v.feature,
        case when v.num is null and v.cat is null then ''
             when r.kind = 'category' then '=' || v.cat
             else '=' || width_bucket(v.num, r.edges)
        end as bin,
        count(*)::float8 / r.row_count as share
    from vals as v
    join reference as r using (day, feature)
    group by r.model_id, v.day, v.feature, bin, r.row_count
),
expected as (
    select r.model_id, r.day, r.feature, '=' || coalesce(x.category, (x.position - 1)::text) as bin,
           x.share
    from reference as r
    cross join lateral unnest(r.shares, r.categories) with ordinality as x (share, category, position)
    union all
    select r.model_id, r.day, r.feature, '', r.missing_share
    from reference as r
),
shares as (
    select model_id, day, feature, bin,
           greatest(sum(a), %(floor)s) as a, greatest(sum(e), %(floor)s) as e
    from (
        select model_id, day, feature, bin, share as a, 0 as e from binned
        union all
        select model_id, day, feature, bin, 0, share from expected
    ) as sides
    group by model_id, day, feature, bin
),
psi as (
    select model_id, day, feature, sum((a - e) * ln(a / e)) as psi
    from shares
    group by model_id, day, feature
),
worst as (
    select distinct on (p.day, p.feature)
        p.day, p.feature, p.model_id, p.psi, r.bins, m.psi_alert,
        (%(view_name)s || '__' || p.feature) = any(m.exempt) as exempt
    from psi as p
    join reference as r using (model_id, day, feature)
    join models as m using (model_id)
    order by p.day, p.feature, p.psi desc
)
select
    %(view_name)s, s.feature, s.day, %(variant)s, s.row_count, s.null_rate, s.mean,
    s.pct[1], s.pct[2], s.pct[3], w.psi, w.bins,
    case when w.psi is null then null
         when w.exempt then 'exempt'
         when w.psi > w.psi_alert then 'alert'
         when w.psi > %(psi_warn)s then 'warn'
         else 'ok'
    end,
    case when w.psi is not null then %(psi_warn)s::float8 end,
    w.psi_alert,
    w.model_id,
    %(run_id)s
from summary as s
left join worst as w using (day, feature)
