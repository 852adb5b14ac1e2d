-- Per model, role and prediction day (the days [first_day, last_day] and those in
-- _prediction_stats_redo): the scores' count, mean and percentiles; their PSI against the
-- model's reference scores of the day's weekday (monitoring.drift_reference, view_name
-- predictions), with its level; and the live metric over the outcomes known now: AUC for
-- classifiers (Mann-Whitney U over average ranks, ties count one half, as
-- dashboards/model_performance_daily), accuracy at the model's threshold, mean absolute error.
-- Grain (model_id, role, day). Binds tasks, psi_alert (jsonb: model name -> threshold),
-- psi_warn, floor, run_id.
insert into monitoring.prediction_stats_daily (
    model_id, role, day, model_name, model_version, row_count, mean, p05, p50, p95, psi, bins,
    level, psi_warn, psi_alert, outcomes_known, auc, accuracy, mae, run_id
)
with scored as (
    select
        p.model_id,
        p.role,
        p.partition_key::date as day,
        m.model_name,
        m.model_version,
        m.model_type ~ 'classifier$' as classifier,
        (p.prediction_result ->> 'score')::float8 as score,
        (p.actual_outcome ->> 'label')::float8 as label,
        p.prediction_accuracy::float8 as accuracy,
        abs(p.prediction_error) as abs_error
    from ml.predictions as p
    join ml.models as m on m.id = p.model_id
    where p.prediction_type = any(%(tasks)s)
      and (p.partition_key between %(first_day)s and %(last_day)s
           or (p.model_id, p.role, p.partition_key::date)
              in (select model_id, role, day from _prediction_stats_redo))
),
summary as (
    select
        model_id,
        role,
        day,
        min(model_name) as model_name,
        min(model_version) as model_version,
        count(*) as row_count,
        avg(score) as mean,
        percentile_cont(array[0.05, 0.5, 0.95]) within group (order by score) as pct,
        count(label) as outcomes_known,
        avg(accuracy) filter (where label is not null) as accuracy,
        avg(abs_error) filter (where label is not null) as mae
    from scored
    group by model_id, role, day
),
ranked as (
    -- rank() gives ties their lowest rank; adding half the tie size makes it their average.
    select
        model_id, role, day, label,
        rank() over (partition by model_id, role, day order by score)
            + (count(*) over (partition by model_id, role, day, score) - 1) / 2.0 as score_rank
    from scored
    where classifier and label is not null
),
classes as (
    select
        model_id, role, day,
        count(*) filter (where label = 1) as positives,
        count(*) filter (where label = 0) as negatives,
        sum(score_rank) filter (where label = 1) as positive_rank_sum
    from ranked
    group by model_id, role, day
),
reference as (
    select s.role, s.day, s.row_count, r.*
    from summary as s
    join monitoring.drift_reference as r
        on r.model_id = s.model_id
        and r.view_name = 'predictions'
        and r.feature = 'score'
        and r.weekday = extract(isodow from s.day)
),
binned as (
    -- Bins keyed '=' || bin number; '' is the missing bin (a prediction without a score).
    select
        r.model_id,
        r.role,
        r.day,
        case when v.score is null then '' else '=' || width_bucket(v.score, r.edges) end as bin,
        count(*)::float8 / r.row_count as share
    from scored as v
    join reference as r using (model_id, role, day)
    group by r.model_id, r.role, r.day, bin, r.row_count
),
expected as (
    select r.model_id, r.role, r.day, '=' || (x.position - 1) as bin, x.share
    from reference as r
    cross join lateral unnest(r.shares) with ordinality as x (share, position)
    union all
    select r.model_id, r.role, r.day, '', r.missing_share
    from reference as r
),
shares as (
    select model_id, role, day, bin,
           greatest(sum(a), %(floor)s) as a, greatest(sum(e), %(floor)s) as e
    from (
        select model_id, role, day, bin, share as a, 0 as e from binned
        union all
        select model_id, role, day, bin, 0, share from expected
    ) as sides
    group by model_id, role, day, bin
),
psi as (
    select model_id, role, day, sum((a - e) * ln(a / e)) as psi
    from shares
    group by model_id, role, day
)
select
    s.model_id, s.role, s.day, s.model_name, s.model_version, s.row_count, s.mean,
    s.pct[1], s.pct[2], s.pct[3], p.psi, r.bins,
    case when p.psi is null then null
         when p.psi > t.psi_alert then 'alert'
         when p.psi > %(psi_warn)s then 'warn'
         else 'ok'
    end,
    case when p.psi is not null then %(psi_warn)s::float8 end,
    case when p.psi is not null then t.psi_alert end,
    s.outcomes_known,
    (
        (c.positive_rank_sum - c.positives * (c.positives + 1) / 2.0)
        / nullif(c.positives * c.negatives, 0)
    )::float8,
    s.accuracy,
    s.mae,
    %(run_id)s
from summary as s
cross join lateral (
    select (%(psi_alert)s::jsonb ->> s.model_name)::float8 as psi_alert
) as t
left join classes as c using (model_id, role, day)
left join psi as p using (model_id, role, day)
left join reference as r using (model_id, role, day)
