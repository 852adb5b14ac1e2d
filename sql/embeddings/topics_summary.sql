-- The topics of one fit with their labels and sizes, for the asset's metadata.
select topic_id, label, size
from vectors.topics as t
join vectors.topic_fits as f on f.fit_id = t.fit_id and f.model_version = t.model_version
where t.fit_id = %(fit_id)s
order by topic_id
