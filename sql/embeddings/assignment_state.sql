-- Whether a run over [first_partition, ...] may assign only its own partitions' events: the fit's
-- assignments are up to date through the day before, confirmed by a full pass within
-- %(verify_days)s days.
select coalesce(bool_or(
    f.assigned_through >= to_char(%(first_partition)s::date - 1, 'YYYY-MM-DD')
    and f.assigned_verified_at > now() - make_interval(days => %(verify_days)s)
), false)
from vectors.topic_fits as f
where f.fit_id = %(fit_id)s
