-- Records the days of one feature view a build joined (distinct {feature_ts} of the build table,
-- feature_ts = day + 1) with the fingerprint each day has in the build's snapshot; a day without
-- one gets NULL, which the gate reads as unchecked. A view with variants records the one joined.
insert into training.dataset_inputs (task, version, view_name, variant, day, fingerprint)
select %(task)s, %(version)s, %(view_name)s, %(variant)s, j.day, d.fingerprint
from (
    select distinct (b.{feature_ts} at time zone 'UTC')::date - 1 as day
    from {build} as b
    where b.{feature_ts} is not null
) as j
left join features.day_fingerprints as d
    on d.view_name = %(view_name)s and d.variant = %(variant)s and d.day = j.day
on conflict do nothing
