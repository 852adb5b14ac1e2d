-- Failed blocking (severity error) checks from the data-quality history of the last two days
-- that no alert has been recorded for since they ran: one row per check execution, oldest
-- first. checked_at is its transaction's start, always before an alert about it.
with failures as (
    select
        concat_ws(':', r.asset_key, r.check_name, r.partition_key) as condition_key,
        r.asset_key, r.check_name, r.partition_key, r.observed, r.run_id, r.checked_at
    from quality.check_results as r
    where r.checked_at > clock_timestamp() - interval '2 days'
      and not r.passed
      and r.severity = 'error'
)
select f.condition_key, f.asset_key, f.check_name, f.partition_key, f.observed, f.run_id
from failures as f
where not exists (
    select 1
    from monitoring.alerts as m
    where m.kind = 'check_failure'
      and m.condition_key = f.condition_key
      and m.created_at >= f.checked_at
)
order by f.checked_at
