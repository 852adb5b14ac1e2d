-- Records a new topic model version (its centroids are COPYed into vectors.topics beside it).
insert into vectors.topic_fits
    (fit_id, model_version, k, seed, event_types, fit_from, serves_from, fit_texts)
values (%(fit_id)s, %(model_version)s, %(k)s, %(seed)s, %(event_types)s, %(fit_from)s,
        %(serves_from)s, %(fit_texts)s)
