-- Each topic's size under one fit: the events assigned to it now (in any space).
update vectors.topics as t
set size = (select count(*) from vectors.event_topics as a
            where a.fit_id = t.fit_id and a.topic_id = t.topic_id)
where t.fit_id = %(fit_id)s
