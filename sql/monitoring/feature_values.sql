-- One feature view's rows for the feature days [first_day, last_day], one row per entity, day
-- and feature (a subquery composed into the drift statements): day, feature, kind ('numeric'
-- or 'category'), num (numeric value), cat (text value). Day D's rows have feature_ts midnight
-- UTC after D. The values composed in: one (feature, kind, num, cat) tuple per column of t.
(
    select (t.feature_ts at time zone 'UTC')::date - 1 as day, u.feature, u.kind, u.num, u.cat
    from {view_table} as t
    cross join lateral (values {values}) as u (feature, kind, num, cat)
    where t.feature_ts >= (%(first_day)s::date + 1)::timestamp at time zone 'UTC'
      and t.feature_ts <= (%(last_day)s::date + 1)::timestamp at time zone 'UTC'{variant_filter}
)
