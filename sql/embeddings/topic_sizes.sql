-- Each topic's size: the events assigned to it now.
update vectors.topics as t
set size = (select count(*) from vectors.event_topics as a where a.topic_id = t.topic_id)
