-- Feature drift per feature view and day (grain: view_name, day), from
-- monitoring.feature_stats_daily: how many features were summarised, how many had a PSI (a
-- production model reads them) and how many warned or alerted, and the feature with the highest
-- PSI (calendar features exempt from drift left out).
select
    view_name,
    day,
    count(*) as features,
    count(psi) as features_with_psi,
    count(*) filter (where level = 'warn') as features_warn,
    count(*) filter (where level = 'alert') as features_alert,
    max(psi) filter (where level <> 'exempt') as max_psi,
    (array_agg(feature order by psi desc, feature)
        filter (where psi is not null and level <> 'exempt'))[1] as max_psi_feature,
    max(row_count) as row_count
from monitoring.feature_stats_daily
group by view_name, day
