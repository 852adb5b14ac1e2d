-- Whether the run may trust vectors.coverage: every in-scope note of the partitions before its
-- range has a vector of this version (complete_through reaches the day before first_partition)
-- and a full count confirmed it within %(verify_days)s days. No row: false.
select coalesce(bool_or(
    c.complete_through >= to_char(%(first_partition)s::date - 1, 'YYYY-MM-DD')
    and c.verified_at > now() - make_interval(days => %(verify_days)s)
), false)
from vectors.coverage as c
where c.model_version = %(model_version)s and c.event_types = %(scope)s::text[]
