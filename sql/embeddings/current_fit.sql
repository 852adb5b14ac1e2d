-- The topic fit in force: the newest topic model version (no row before the first fit).
select fit_id, model_version, k, seed, event_types, fit_from, serves_from
from vectors.topic_fits
order by created_at desc, fit_id
limit 1
