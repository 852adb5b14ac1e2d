-- A bridged fit (centroids in a new space) may now read a vector of any event: its next
-- assignment looks at every event.
update vectors.topic_fits set assigned_through = null where fit_id = %(fit_id)s
