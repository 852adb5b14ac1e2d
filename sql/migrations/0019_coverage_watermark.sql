-- How far each embedding model version is known to cover the in-scope notes: every note of the
-- partitions up to complete_through has a vector of the version for its current text. A note
-- changes only by landing in a later partition, so a run whose range starts at most a day after
-- complete_through need only look at its own partitions; without this, every night counted all
-- of history twice (coverage_candidates, coverage: 16.3 and 10.6 s of a night at 100,000
-- customers x 365 days). verified_at is the last full count, repeated weekly.
create table vectors.coverage (
    model_version text not null,
    event_types text[] not null,
    complete_through text not null,
    verified_at timestamptz not null,
    primary key (model_version, event_types)
);

comment on table vectors.coverage is 'Per embedding model version and event-type scope: the last partition up to which every in-scope note has a vector of that version for its current text (complete_through), and when a count over all history last confirmed it (verified_at). Forgotten as soon as a run finds a note of its range without one.';
