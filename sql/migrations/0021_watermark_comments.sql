-- Column comments of the two night watermarks (0019, 0020): every column of the data dictionary
-- says what it holds.
comment on column vectors.coverage.model_version is 'The embedding model version whose coverage this row records.';
comment on column vectors.coverage.event_types is 'The embedded event types (sorted): the notes in scope.';
comment on column vectors.coverage.complete_through is 'Partition key (YYYY-MM-DD) up to which every in-scope note has a vector of this version for its current text.';
comment on column vectors.coverage.verified_at is 'When a count over all history last confirmed complete_through (repeated after 7 days).';
comment on column vectors.topic_fits.assigned_verified_at is 'When a pass over every event last confirmed the fit''s assignments (repeated after 7 days).';
