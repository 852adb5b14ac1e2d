-- Prediction quality per model version and prediction day (grain: model_name, model_version,
-- day; day = the prediction's partition). Over the predictions whose outcome is known: AUC for
-- classifiers (Mann-Whitney U over average ranks, so tied scores count one half; null unless
-- both classes occur), accuracy at the model's threshold, mean absolute error.
with scored as (
    select
        m.model_name,
        m.model_version,
        m.model_type like '%classifier' as classifier,
        p.partition_key::date as day,
        (p.prediction_result ->> 'score')::float8 as score,
        (p.actual_outcome ->> 'label')::float8 as label,
        p.prediction_accuracy::float8 as accuracy,
        abs(p.prediction_error) as abs_error
    from ml.predictions as p
    join ml.models as m on m.id = p.model_id
),
ranked as (
    -- rank() gives ties their lowest rank; adding half the tie size makes it their average.
    select
        model_name, model_version, day, label,
        rank() over (partition by model_name, model_version, day order by score)
            + (count(*) over (partition by model_name, model_version, day, score) - 1) / 2.0
            as score_rank
    from scored
    where classifier and label is not null
),
classes as (
    select
        model_name, model_version, day,
        count(*) filter (where label = 1) as positives,
        count(*) filter (where label = 0) as negatives,
        sum(score_rank) filter (where label = 1) as positive_rank_sum
    from ranked
    group by model_name, model_version, day
)
select
    s.model_name,
    s.model_version,
    s.day,
    count(*) as predictions,
    count(s.label) as outcomes_known,
    (
        (max(c.positive_rank_sum) - max(c.positives) * (max(c.positives) + 1) / 2.0)
        / nullif(max(c.positives) * max(c.negatives), 0)
    )::float8 as auc,
    avg(s.accuracy) filter (where s.label is not null) as accuracy,
    avg(s.abs_error) filter (where s.label is not null) as mae,
    avg(s.score) as mean_score
from scored as s
left join classes as c using (model_name, model_version, day)
group by s.model_name, s.model_version, s.day
