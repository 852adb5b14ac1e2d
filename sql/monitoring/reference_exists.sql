-- Whether a model's drift reference was built (references are built once per model): one row
-- or none.
select 1
from monitoring.drift_reference
where model_id = %(model_id)s
limit 1
