-- Evidence keyed on data, not code: a content fingerprint of every feature-view day as written,
-- the outcome of each check on each day's fingerprint, and the days (with their fingerprints)
-- each dataset version read. The gate requires a passed blocking result on exactly the
-- fingerprint of every day a dataset was built from, so a re-materialization after the build,
-- a run killed between its write and its checks, or a result on other rows cannot stand in.
-- Days written before this migration have no fingerprint: re-materialize the views once.
create table features.day_fingerprints (
    view_name text not null,
    day date not null,
    row_count bigint not null,
    fingerprint text not null,
    run_id text,
    written_at timestamptz not null default now(),
    primary key (view_name, day)
);

create table quality.view_day_checks (
    view_name text not null,
    day date not null,
    fingerprint text not null,
    check_name text not null,
    blocking boolean not null,
    passed boolean not null,
    run_id text,
    checked_at timestamptz not null default clock_timestamp()
);
create index view_day_checks_lookup
    on quality.view_day_checks (view_name, day, fingerprint, check_name, checked_at desc);

create table training.dataset_inputs (
    task text not null,
    version text not null,
    view_name text not null,
    day date not null,
    fingerprint text,
    primary key (task, version, view_name, day)
);

comment on table features.day_fingerprints is 'One row per feature view and day: the content fingerprint of the rows last written for that day (md5 over the rows in key order), their count and the run that wrote them.';
comment on column features.day_fingerprints.view_name is 'Feature view (features.<view_name>).';
comment on column features.day_fingerprints.day is 'The day the rows describe (feature_ts = day + 1, UTC).';
comment on column features.day_fingerprints.row_count is 'Rows of the day.';
comment on column features.day_fingerprints.fingerprint is 'md5 of the day''s rows as text, in entity order.';
comment on column features.day_fingerprints.run_id is 'Dagster run (or caller) that wrote the day last.';
comment on column features.day_fingerprints.written_at is 'When the day was written last.';
comment on table quality.view_day_checks is 'Each feature-view check''s outcome on each day it covered, on the fingerprint of that day''s rows: what the promotion gate reads.';
comment on column quality.view_day_checks.view_name is 'Feature view checked.';
comment on column quality.view_day_checks.day is 'Day covered by the check run.';
comment on column quality.view_day_checks.fingerprint is 'Fingerprint of the day''s rows the check ran on (features.day_fingerprints).';
comment on column quality.view_day_checks.check_name is 'Check (as in quality.check_results).';
comment on column quality.view_day_checks.blocking is 'Whether the check blocks (severity error).';
comment on column quality.view_day_checks.passed is 'Whether the check passed on the run''s rows.';
comment on column quality.view_day_checks.run_id is 'Dagster run that ran the check.';
comment on column quality.view_day_checks.checked_at is 'When the check ran.';
comment on table training.dataset_inputs is 'The feature-view days each dataset version joined, with the fingerprint of the rows it read (null: the day had no fingerprint, so no check evidence).';
comment on column training.dataset_inputs.task is 'Training task.';
comment on column training.dataset_inputs.version is 'Dataset version (training.datasets.version).';
comment on column training.dataset_inputs.view_name is 'Feature view joined.';
comment on column training.dataset_inputs.day is 'Day of the joined feature rows (feature_ts = day + 1).';
comment on column training.dataset_inputs.fingerprint is 'Fingerprint of that day''s rows when the dataset was built.';
