-- Data quality per asset and UTC day (grain: asset_key, day): check executions and failures
-- (quality.check_results) beside the rows ingest rejected for that staging table, with a count
-- per reason. Days with only checks, or only rejections, appear with zeros for the other side.
with checks as (
    select
        asset_key,
        (checked_at at time zone 'UTC')::date as day,
        count(*) as checks_run,
        count(*) filter (where not passed) as checks_failed
    from quality.check_results
    group by asset_key, (checked_at at time zone 'UTC')::date
),
reasons as (
    select
        'staging/' || source_table as asset_key,
        (rejected_at at time zone 'UTC')::date as day,
        reason,
        count(*) as rows_rejected
    from quality.rejected_rows
    group by source_table, (rejected_at at time zone 'UTC')::date, reason
),
rejected as (
    select
        asset_key,
        day,
        sum(rows_rejected)::bigint as rows_rejected,
        jsonb_object_agg(reason, rows_rejected) as rejected_by_reason
    from reasons
    group by asset_key, day
)
select
    asset_key,
    day,
    coalesce(c.checks_run, 0) as checks_run,
    coalesce(c.checks_failed, 0) as checks_failed,
    coalesce(r.rows_rejected, 0) as rows_rejected,
    coalesce(r.rejected_by_reason, '{}'::jsonb) as rejected_by_reason
from checks as c
full join rejected as r using (asset_key, day)
