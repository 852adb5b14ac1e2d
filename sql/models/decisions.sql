-- The latest gate decisions on one model name, newest first: the version, when, the verdict, who
-- asked and the thresholds overridden (for `models show`).
select m.model_name || ' v' || m.model_version, d.decided_at, d.decision, d.actor, d.overrides
from ml.promotion_decisions as d
join ml.models as m on m.id = d.model_id
where m.model_name = %(model_name)s
order by d.decided_at desc
limit %(limit)s
