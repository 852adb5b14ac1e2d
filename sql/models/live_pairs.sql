-- A challenger's and the production model's predictions of the same entity and day whose
-- outcome is known: the rows live performance is compared on (models compare, the gate). With
-- %(days)s set, only the latest that many days of partitions that have such pairs.
with pairs as (
    select
        c.entity_id,
        c.partition_key,
        (c.prediction_result ->> 'score')::float8 as challenger_score,
        (p.prediction_result ->> 'score')::float8 as champion_score,
        (c.actual_outcome ->> 'label')::float8 as label
    from ml.predictions as c
    join ml.predictions as p
        on p.prediction_type = c.prediction_type
        and p.partition_key = c.partition_key
        and p.entity_id = c.entity_id
        and p.model_id = %(champion_id)s
    where c.model_id = %(challenger_id)s
        and c.actual_outcome is not null
)
select entity_id, partition_key, challenger_score, champion_score, label
from pairs
where %(days)s::int is null
    or partition_key::date > (select max(partition_key)::date from pairs) - %(days)s::int
order by partition_key, entity_id
