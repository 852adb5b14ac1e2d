-- Gate decisions that blocked a model and rollbacks, from the ML audit log of the last two days,
-- that no alert has been recorded for since they were logged: one row per audit event, oldest
-- first. logged_at is its transaction's start, always before an alert about it, so an event
-- committed late is still found and one alerted on is never found again.
with events as (
    select
        case a.operation_type when 'gate_decision' then 'gate_blocked' else 'rollback' end
            as kind,
        case a.operation_type
            when 'gate_decision'
                then concat(a.params ->> 'model_name', ':v', a.params ->> 'model_version')
            else concat(a.params ->> 'model_name', ':v', a.params ->> 'from_version',
                        '->v', a.params ->> 'to_version')
        end as condition_key,
        a.actor, a.run_id, a.params, a.result, a.logged_at
    from ml.audit_log as a
    where a.logged_at > clock_timestamp() - interval '2 days'
      and ((a.operation_type = 'gate_decision' and a.status = 'blocked')
           or a.operation_type = 'rollback')
)
select e.kind, e.condition_key, e.actor, e.run_id, e.params, e.result, e.logged_at
from events as e
where not exists (
    select 1
    from monitoring.alerts as m
    where m.kind = e.kind
      and m.condition_key = e.condition_key
      and m.created_at >= e.logged_at
)
order by e.logged_at
