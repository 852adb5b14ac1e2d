-- Chart series of analytics.data_quality_daily: checks failed and rows rejected per day, all
-- assets together.
select day, sum(checks_failed)::bigint as checks_failed, sum(rows_rejected)::bigint as rows_rejected
from analytics.data_quality_daily
group by day
order by day
