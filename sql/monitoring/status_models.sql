-- Production and staging models with their test metric and what their predictions have shown
-- since (a staging model has predictions when it is a shadow challenger): outcomes known, the live accuracy (classifiers, at the model's threshold) or the live
-- mean absolute error (regression), over the model's last %(days)s days of as-of dates.
select
    m.model_name, m.model_version, m.deployment_status,
    m.test_metrics,
    count(p.actual_outcome) as outcomes,
    avg(p.prediction_accuracy) as live_accuracy,
    avg(abs(p.prediction_error)) filter (where p.prediction_accuracy is null) as live_mae,
    coalesce(bool_or(p.role = 'challenger'), false) as challenger
from ml.models as m
left join lateral (
    select max(prediction_timestamp) as latest
    from ml.predictions
    where model_id = m.id
) as l on true
left join ml.predictions as p
    on p.model_id = m.id
    and p.prediction_timestamp > l.latest - make_interval(days => %(days)s)
where m.deployment_status in ('production', 'staging')
group by m.id
order by m.model_name, m.deployment_status, m.model_version desc
