-- Drift over its alert threshold not alerted yet: features (monitoring.feature_stats_daily) and
-- models' scores (monitoring.prediction_stats_daily) whose level is alert, computed in the last
-- two days, on days within recent_days of the newest day with statistics (a backfill of old
-- days is history, not news). One row per condition (a feature or a model's scores on a day),
-- oldest day first. A condition sent or suppressed once is not alerted again; a failed attempt
-- is tried again when the day's statistics are computed again.
with drifted as (
    select
        concat('feature:', s.view_name, '.', s.feature, ':', s.day) as condition_key,
        'feature' as subject_kind,
        s.view_name || '.' || s.feature as subject,
        s.day, s.psi, s.psi_warn, s.psi_alert, s.bins, s.row_count, s.null_rate, s.mean, s.p50,
        m.model_name || ' v' || m.model_version as reference_model,
        s.run_id, s.computed_at
    from monitoring.feature_stats_daily as s
    left join ml.models as m on m.id = s.reference_model_id
    where s.level = 'alert'
      and s.computed_at > clock_timestamp() - interval '2 days'
      and s.day > (select max(day) from monitoring.feature_stats_daily) - %(recent_days)s::int
    union all
    select
        concat('model:', s.model_name, ' v', s.model_version, ' ', s.role, ':', s.day),
        'model',
        s.model_name || ' v' || s.model_version || ' (' || s.role || ')',
        s.day, s.psi, s.psi_warn, s.psi_alert, s.bins, s.row_count, null, s.mean, s.p50,
        s.model_name || ' v' || s.model_version,
        s.run_id, s.computed_at
    from monitoring.prediction_stats_daily as s
    where s.level = 'alert'
      and s.computed_at > clock_timestamp() - interval '2 days'
      and s.day > (select max(day) from monitoring.prediction_stats_daily) - %(recent_days)s::int
)
select
    d.condition_key, d.subject_kind, d.subject, d.day, d.psi, d.psi_warn, d.psi_alert, d.bins,
    d.row_count, d.null_rate, d.mean, d.p50, d.reference_model, d.run_id
from drifted as d
where not exists (
    select 1
    from monitoring.alerts as a
    where a.kind = 'drift'
      and a.condition_key = d.condition_key
      and (a.status <> 'failed' or a.created_at >= d.computed_at)
)
order by d.day, d.subject_kind, d.subject
