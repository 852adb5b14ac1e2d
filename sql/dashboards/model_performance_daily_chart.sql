-- Chart series of analytics.model_performance_daily: AUC and MAE per day, one line per model
-- version (challengers named as such).
select
    model_name || ' v' || model_version
        || case when role = 'challenger' then ' (challenger)' else '' end as model,
    day, auc, mae
from analytics.model_performance_daily
order by model_name, model_version, day
