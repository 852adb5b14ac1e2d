-- Records a new topic model version (its centroids are COPYed into vectors.topics beside it).
-- A fit identical to an earlier one (same centroids, settings and window: settings changed back)
-- is that version again: it becomes the one in force (created_at moves). Returns whether the
-- row is new (xmax is 0 for an inserted row, set for an updated one).
insert into vectors.topic_fits as f
    (fit_id, model_version, k, seed, event_types, fit_from, serves_from, fit_texts)
values (%(fit_id)s, %(model_version)s, %(k)s, %(seed)s, %(event_types)s, %(fit_from)s,
        %(serves_from)s, %(fit_texts)s)
on conflict (fit_id) do update set created_at = clock_timestamp()
returning (xmax = 0) as inserted
