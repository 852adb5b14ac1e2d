-- Records one alert for one destination (sent, failed or suppressed); returns its id.
insert into monitoring.alerts
    (kind, severity, condition_key, subject, body, destination, status, error, run_id)
values
    (%(kind)s, %(severity)s, %(condition_key)s, %(subject)s, %(body)s, %(destination)s,
     %(status)s, %(error)s, %(run_id)s)
returning id
