-- The topic fits whose feature rows are written: the one in force, and every fit a production
-- model was trained on (it reads its own fit until a model trained on a newer one is promoted).
-- Oldest first, so the fit in force is registered last.
select f.fit_id, f.model_version, f.k, f.seed, f.event_types, f.fit_from, f.serves_from
from vectors.topic_fits as f
where f.fit_id = %(current)s
   or f.fit_id in (
       select r.variant
       from ml.models as m
       join features.registry as r
           on r.view_name = %(view_name)s and r.version = m.feature_set_version ->> %(view_name)s
       where m.deployment_status = 'production'
   )
order by f.fit_id = %(current)s, f.created_at, f.fit_id
