-- Removes the prediction statistics of the days [first_day, last_day] and of the earlier days in
-- _prediction_stats_redo, before they are written again in the same transaction.
delete from monitoring.prediction_stats_daily as s
where s.day between %(first_day)s::date and %(last_day)s::date
   or (s.model_id, s.role, s.day) in (select model_id, role, day from _prediction_stats_redo)
