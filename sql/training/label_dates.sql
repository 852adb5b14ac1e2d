-- The distinct as-of times of one build's labels, oldest first (the split cuts between them).
select distinct label_ts from {labels} order by label_ts
