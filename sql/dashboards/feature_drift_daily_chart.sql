-- Chart series of analytics.feature_drift_daily: the highest PSI of each feature view per day
-- (views a production model reads).
select view_name, day, max_psi
from analytics.feature_drift_daily
where max_psi is not null
order by view_name, day
