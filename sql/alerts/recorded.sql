-- Whether any alert (sent, failed or suppressed) was recorded for this condition: one row or none.
select id
from monitoring.alerts
where kind = %(kind)s
  and condition_key = %(condition_key)s
limit 1
