-- The registry for people: every version with its status, primary test metrics and the latest
-- gate decision (and the rules it failed), newest version of each model first.
select
    m.model_name,
    m.model_version,
    m.deployment_status,
    m.model_type,
    m.training_data_version,
    m.test_metrics,
    d.decision,
    d.failed_rules,
    m.created_at,
    m.deployed_at
from ml.models as m
left join lateral (
    select
        pd.decision,
        (select coalesce(jsonb_agg(r -> 'rule'), '[]'::jsonb)
         from jsonb_array_elements(pd.reasons) as r
         where not (r ->> 'passed')::boolean) as failed_rules
    from ml.promotion_decisions as pd
    where pd.model_id = m.id
    order by pd.decided_at desc
    limit 1
) as d on true
where %(model_name)s::text is null or m.model_name = %(model_name)s
order by m.model_name, m.model_version desc
