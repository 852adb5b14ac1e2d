-- Alerts of the last %(hours)s hours by kind and status, with the latest subject of each.
select kind, status, count(*), max(created_at),
    (array_agg(subject order by created_at desc))[1]
from monitoring.alerts
where created_at >= now() - make_interval(hours => %(hours)s)
group by kind, status
order by max(created_at) desc
