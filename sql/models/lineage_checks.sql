-- The blocking check results on a model's lineage, one row per (asset, check): for the training
-- dataset, the latest result of each check on exactly its version; for each feature view, the
-- latest result of each check on each day, among results taken on exactly the version read.
-- A check whose latest result failed on any day counts as failed, with the first such day.
with dataset_results as (
    select distinct on (check_name)
        asset_key, check_name, null::date as day, passed, observed, run_id, checked_at
    from quality.check_results
    where asset_key = %(dataset_asset)s
        and data_version = %(dataset_version)s
        and severity = 'error'
    order by check_name, checked_at desc
),
view_results as (
    select
        r.asset_key, r.check_name, r.passed, r.observed, r.run_id, r.checked_at,
        split_part(r.partition_key, '..', 1)::date as first_day,
        coalesce(nullif(split_part(r.partition_key, '..', 2), ''),
                 split_part(r.partition_key, '..', 1))::date as last_day
    from quality.check_results as r
    join jsonb_each_text(%(view_versions)s::jsonb) as v (asset_key, version)
        on r.asset_key = v.asset_key and r.data_version = v.version
    where r.severity = 'error' and r.partition_key is not null
),
view_days as (
    select distinct on (asset_key, check_name, day)
        asset_key, check_name, day::date as day, passed, observed, run_id, checked_at
    from view_results
    cross join lateral generate_series(first_day, last_day, interval '1 day') as day
    order by asset_key, check_name, day, checked_at desc
),
latest as (
    select * from dataset_results
    union all
    select * from view_days
)
select
    asset_key,
    check_name,
    bool_and(passed) as passed,
    count(*) filter (where day is not null) as days,
    count(*) filter (where not passed) as failed,
    min(day) filter (where not passed) as first_failed_day,
    (array_agg(observed order by checked_at desc) filter (where not passed))[1] as observed,
    (array_agg(run_id order by checked_at desc) filter (where not passed))[1] as failed_run_id
from latest
group by asset_key, check_name
order by asset_key, check_name
