-- A sample of the topic feature rows of one fit on the range's last day (valid from its end).
select customer_id, feature_ts, source_max_ts, topic_0_30d, topic_1_30d, topic_2_30d, topic_0_90d
from features.customer_topics_daily
where fit_id = %(fit_id)s
  and feature_ts = (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
order by customer_id
