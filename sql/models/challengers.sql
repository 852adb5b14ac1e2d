-- The shadow challengers of one model name: staging versions whose latest gate decision passed
-- every rule in %(required)s (whether it may be promoted at all, its verified artifact, its
-- data lineage and the metric floor) and so was blocked only by the comparison with production
-- or by drift. Newest first, at most %(limit)s; ids only (the caller loads the rows).
select m.id
from ml.models as m
cross join lateral (
    select d.reasons
    from ml.promotion_decisions as d
    where d.model_id = m.id
    order by d.decided_at desc
    limit 1
) as latest
where m.model_name = %(model_name)s
    and m.deployment_status = 'staging'
    and (
        select count(*)
        from jsonb_array_elements(latest.reasons) as r
        where r ->> 'rule' = any(%(required)s) and (r ->> 'passed')::boolean
    ) = cardinality(%(required)s::text[])
order by m.model_version desc
limit %(limit)s
