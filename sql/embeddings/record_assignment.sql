-- After assigning a fit's events for a range: up to date through its last partition (a full pass
-- also renews assigned_verified_at).
update vectors.topic_fits
set assigned_through = greatest(assigned_through, %(last_partition)s),
    assigned_verified_at = case when %(full_pass)s then now() else assigned_verified_at end
where fit_id = %(fit_id)s
