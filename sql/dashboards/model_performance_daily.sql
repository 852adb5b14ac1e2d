-- Prediction quality per model version and prediction day (grain: model_name, model_version,
-- day; day = the prediction's partition). Over the predictions whose outcome is known: AUC for
-- classifiers (Mann-Whitney U over average ranks, so tied scores count one half; null unless
-- both classes occur), accuracy at the model's threshold, mean absolute error. A shadow
-- challenger's rows also carry the champion's metrics on the same entities of the same day
-- (basis 'champion'), so the two compare on equal terms.
with scored as (
    select
        m.model_name,
        m.model_version,
        p.role,
        m.model_type like '%classifier' as classifier,
        p.prediction_type,
        p.partition_key,
        p.entity_id,
        (p.prediction_result ->> 'score')::float8 as score,
        (p.actual_outcome ->> 'label')::float8 as label,
        p.prediction_accuracy::float8 as accuracy,
        abs(p.prediction_error) as abs_error
    from ml.predictions as p
    join ml.models as m on m.id = p.model_id
),
measured as (
    -- basis 'own': each model's rows; basis 'champion': the champion's rows of the entity-days
    -- a challenger scored, under the challenger's name.
    select model_name, model_version, role, classifier, partition_key::date as day,
        'own' as basis, score, label, accuracy, abs_error
    from scored
    union all
    select c.model_name, c.model_version, c.role, c.classifier, c.partition_key::date,
        'champion', p.score, p.label, p.accuracy, p.abs_error
    from scored as c
    join scored as p
        on p.prediction_type = c.prediction_type
        and p.partition_key = c.partition_key
        and p.entity_id = c.entity_id
        and p.role = 'champion'
    where c.role = 'challenger'
),
ranked as (
    -- rank() gives ties their lowest rank; adding half the tie size makes it their average.
    select
        model_name, model_version, day, basis, label,
        rank() over (partition by model_name, model_version, day, basis order by score)
            + (count(*) over (partition by model_name, model_version, day, basis, score) - 1)
            / 2.0 as score_rank
    from measured
    where classifier and label is not null
),
classes as (
    select
        model_name, model_version, day, basis,
        count(*) filter (where label = 1) as positives,
        count(*) filter (where label = 0) as negatives,
        sum(score_rank) filter (where label = 1) as positive_rank_sum
    from ranked
    group by model_name, model_version, day, basis
),
metrics as (
    select
        s.model_name, s.model_version, s.day, s.basis,
        max(s.role) as role,
        count(*) as predictions,
        count(s.label) as outcomes_known,
        (
            (max(c.positive_rank_sum) - max(c.positives) * (max(c.positives) + 1) / 2.0)
            / nullif(max(c.positives) * max(c.negatives), 0)
        )::float8 as auc,
        avg(s.accuracy) filter (where s.label is not null) as accuracy,
        avg(s.abs_error) filter (where s.label is not null) as mae,
        avg(s.score) as mean_score
    from measured as s
    left join classes as c using (model_name, model_version, day, basis)
    group by s.model_name, s.model_version, s.day, s.basis
)
select
    o.model_name,
    o.model_version,
    o.day,
    o.role,
    o.predictions,
    o.outcomes_known,
    o.auc,
    o.accuracy,
    o.mae,
    o.mean_score,
    ch.outcomes_known as champion_outcomes_known,
    ch.auc as champion_auc,
    ch.mae as champion_mae
from metrics as o
left join metrics as ch
    on ch.model_name = o.model_name
    and ch.model_version = o.model_version
    and ch.day = o.day
    and ch.basis = 'champion'
where o.basis = 'own'
