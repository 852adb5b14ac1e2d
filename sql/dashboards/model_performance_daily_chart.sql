-- Chart series of analytics.model_performance_daily: AUC and MAE per day, one line per model
-- version.
select model_name || ' v' || model_version as model, day, auc, mae
from analytics.model_performance_daily
order by model_name, model_version, day
