-- Chart series of analytics.ops_daily_kpis: pickups and missed-pickup rate per day, all
-- organizations together (the rate recomputed from the sums, not averaged).
select
    day,
    sum(pickups)::bigint as pickups,
    sum(missed_pickups)::float8 / nullif(sum(pickups) + sum(missed_pickups), 0)
        as missed_pickup_rate
from analytics.ops_daily_kpis
group by day
order by day
