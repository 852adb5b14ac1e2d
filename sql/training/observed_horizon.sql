-- How far staging has been observed: one row, until = the latest service_date in staging (NULL
-- when there are no events). A label counts only when its horizon is observed (label_ts +
-- horizon <= until). The body of the observed CTE that every training/labels_<task> query
-- composes in (Task.label_query); it binds no parameters.
select max(service_date) as until from staging.service_events
