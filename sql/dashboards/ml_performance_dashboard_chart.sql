-- Chart series of analytics.ml_performance_dashboard: ML operations and commits per hour.
select hour, ml_operations, commits
from analytics.ml_performance_dashboard
order by hour
