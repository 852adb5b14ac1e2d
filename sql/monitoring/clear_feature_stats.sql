-- Removes the feature statistics of the days [first_day, last_day] (all views), before they are
-- written again in the same transaction.
delete from monitoring.feature_stats_daily
where day between %(first_day)s::date and %(last_day)s::date
