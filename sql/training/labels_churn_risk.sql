-- Churn labels, one row per (customer_id, label_ts): label_ts is noon UTC of each as-of date on
-- the grid [first_date, last_date]; label 1 when churned_at falls in (label_ts, label_ts +
-- horizon], else 0. The population is the customers as they stood at label_ts (their version
-- valid then, from staging history): not yet created or already churned -> no row. churned_at
-- is a valid time of its own, so both the label and "already churned" read it from the newest
-- version (what is known now of the past, deleted rows too), which a missed version cannot hide.
-- As-of dates whose horizon reaches past the latest service_date in staging are left out. The
-- grid and observed CTEs are shared fragments: training/label_grid, training/observed_horizon.
with grid as (
{label_grid}
),
observed as (
{observed_horizon}
),
newest as (
    select distinct on (id) id, churned_at
    from staging.customers_history
    order by id, updated_at desc
)
select
    c.id as customer_id,
    g.label_ts,
    (n.churned_at is not null and n.churned_at <= g.label_ts + %(horizon)s::interval)::integer
        as label
from grid as g
cross join observed as o
join staging.customers_history as c
    on c.valid_from <= g.label_ts
    and (c.valid_to is null or c.valid_to > g.label_ts)
    and c.created_at <= g.label_ts
    and (c.churned_at is null or c.churned_at > g.label_ts)
join newest as n on n.id = c.id and (n.churned_at is null or n.churned_at > g.label_ts)
where g.label_ts + %(horizon)s::interval <= o.until
