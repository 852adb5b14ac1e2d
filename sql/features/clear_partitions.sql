-- Removes a feature view's rows for the days [first_day, last_day] (feature_ts is the end of
-- each day), of every entity or only of the entities asked for, before they are written again
-- in the same transaction (of one variant only, for a view with variants).
delete from {view_table}
where feature_ts > %(first_day)s::date::timestamp at time zone 'UTC'
  and feature_ts <= (%(last_day)s::date + 1)::timestamp at time zone 'UTC'
  and (%(entities)s::uuid[] is null or {entity_key} = any(%(entities)s::uuid[])){variant_filter}
