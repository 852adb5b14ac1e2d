-- The distinct as-of times of one build's labels with their label counts, oldest first (the
-- split cuts between them; the counts say how many rows the purge drops).
select label_ts, count(*) as labels from {labels} group by label_ts order by label_ts
