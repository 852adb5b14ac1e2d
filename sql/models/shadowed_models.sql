-- The models that scored one task as challengers, newest version first: `models compare` lists
-- them even after they stopped qualifying (their past shadow predictions still compare).
select distinct m.id, m.model_version
from ml.predictions as p
join ml.models as m on m.id = p.model_id
where p.prediction_type = %(task)s and p.role = 'challenger'
order by m.model_version desc
