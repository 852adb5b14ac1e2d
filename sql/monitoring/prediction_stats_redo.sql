-- The earlier days (before first_day) whose statistics must be written (again): outcomes became
-- known since they were computed, or they were never computed (a nightly run whose scoring of
-- some task was skipped skips the statistics too). One row per (model_id, role, day), kept in a
-- session-local table until commit.
create temp table _prediction_stats_redo on commit drop as
select known.model_id, known.role, known.day
from (
    select model_id, role, partition_key::date as day, count(actual_outcome) as outcomes_known
    from ml.predictions
    where prediction_type = any(%(tasks)s)
      and partition_key < %(first_day)s
    group by model_id, role, partition_key
) as known
left join monitoring.prediction_stats_daily as s using (model_id, role, day)
where s.outcomes_known is distinct from known.outcomes_known
