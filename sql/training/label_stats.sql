-- Label statistics of a built dataset, one row per split plus an overall row (split is NULL):
-- rows, positive labels (> 0), zero labels, mean, population standard deviation, min and max.
select
    split,
    count(*) as row_count,
    count(*) filter (where label > 0) as positives,
    count(*) filter (where label = 0) as zeros,
    avg(label)::double precision as mean,
    stddev_pop(label)::double precision as std,
    min(label)::double precision as min,
    max(label)::double precision as max
from {table}
group by grouping sets ((split), ())
order by split nulls last
