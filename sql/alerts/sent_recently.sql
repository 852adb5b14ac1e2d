-- Whether this condition was already sent to this destination in the last day: one row or none.
select id
from monitoring.alerts
where kind = %(kind)s
  and condition_key = %(condition_key)s
  and destination is not distinct from %(destination)s
  and status = 'sent'
  and created_at > clock_timestamp() - interval '1 day'
limit 1
