-- Continuous drift monitoring (issue 13). Every day, each feature of each feature view and each
-- model's scores are summarised (rows, nulls, mean, percentiles) and compared with a reference
-- distribution by the population stability index (PSI), the formula of models/drift.py: bins
-- are the reference's quantiles (missing values a bin of their own; text values their own
-- bins), PSI = sum (a - e) * ln(a / e) with each share floored at 1e-4.
--
-- The reference of a model is built once, from the feature view rows (and the model's scores of
-- them) over the as-of window of its dataset's test split, one distribution per weekday: rows on
-- a weekly grid and weekday-following features make any other choice alert on ordinary days
-- (figures in platform_assets/monitoring/drift_stats.py).

create table monitoring.drift_reference (
    model_id uuid not null references ml.models (id),
    view_name text not null,
    feature text not null,
    weekday smallint not null check (weekday between 1 and 7),
    kind text not null check (kind in ('numeric', 'category')),
    bins smallint not null,
    edges double precision[],
    categories text[],
    shares double precision[] not null,
    missing_share double precision not null,
    reference_rows bigint not null,
    window_first date not null,
    window_last date not null,
    variant text not null default '',
    created_at timestamptz not null default now(),
    run_id text,
    primary key (model_id, view_name, feature, weekday)
);

create table monitoring.feature_stats_daily (
    view_name text not null,
    feature text not null,
    day date not null,
    variant text not null default '',
    row_count bigint not null,
    null_rate double precision not null,
    mean double precision,
    p05 double precision,
    p50 double precision,
    p95 double precision,
    psi double precision,
    bins smallint,
    level text check (level in ('ok', 'warn', 'alert', 'exempt')),
    psi_warn double precision,
    psi_alert double precision,
    reference_model_id uuid references ml.models (id),
    computed_at timestamptz not null default now(),
    run_id text,
    primary key (view_name, feature, day)
);

-- "Which features drifted yesterday": by day; the drift_alerts sensor: recent alerts only.
create index feature_stats_daily_day on monitoring.feature_stats_daily (day);
create index feature_stats_daily_alerts on monitoring.feature_stats_daily (computed_at)
    where level = 'alert';

create table monitoring.prediction_stats_daily (
    model_id uuid not null references ml.models (id),
    role text not null,
    day date not null,
    model_name text not null,
    model_version int not null,
    row_count bigint not null,
    mean double precision,
    p05 double precision,
    p50 double precision,
    p95 double precision,
    psi double precision,
    bins smallint,
    level text check (level in ('ok', 'warn', 'alert')),
    psi_warn double precision,
    psi_alert double precision,
    outcomes_known bigint not null,
    auc double precision,
    accuracy double precision,
    mae double precision,
    computed_at timestamptz not null default now(),
    run_id text,
    primary key (model_id, role, day)
);

create index prediction_stats_daily_day on monitoring.prediction_stats_daily (day);
create index prediction_stats_daily_alerts on monitoring.prediction_stats_daily (computed_at)
    where level = 'alert';

comment on table monitoring.drift_reference is 'The distribution each model''s drift is measured against, built once per model: per feature it reads (and its own score, view_name predictions) and weekday, the bins and the share of reference rows in each. Reference rows: the feature view rows (and the model''s scores of them) over the as-of window of its dataset''s test split. Aggregates only.';
comment on column monitoring.drift_reference.model_id is 'The model (ml.models.id) the reference belongs to.';
comment on column monitoring.drift_reference.view_name is 'The feature view the feature is a column of, or predictions for the model''s score.';
comment on column monitoring.drift_reference.feature is 'The feature column (without the view prefix), or score.';
comment on column monitoring.drift_reference.weekday is 'ISO weekday (1 = Monday) of the feature days these reference rows describe; a day is compared with the reference of its own weekday.';
comment on column monitoring.drift_reference.kind is 'numeric (bins are quantiles of the reference values) or category (each text value is a bin).';
comment on column monitoring.drift_reference.bins is 'Quantile bins asked for: 10 (deciles), fewer when the reference has under 100 entities a day (10 entities per bin at least, 2 bins at least, as models/drift.py); 0 for categories.';
comment on column monitoring.drift_reference.edges is 'numeric: the inner quantile edges, ascending and distinct; a value''s bin is width_bucket(value, edges) (the number of edges at or below it). Null for categories.';
comment on column monitoring.drift_reference.categories is 'category: the values seen in the reference, sorted; null for numeric features.';
comment on column monitoring.drift_reference.shares is 'Share of reference rows in each bin: numeric, bin i (0 .. cardinality(edges)) at position i + 1; category, aligned with categories. With missing_share they sum to 1.';
comment on column monitoring.drift_reference.missing_share is 'Share of reference rows whose value is missing (its own bin).';
comment on column monitoring.drift_reference.reference_rows is 'Reference rows on this weekday (entity-days).';
comment on column monitoring.drift_reference.window_first is 'First feature day of the reference window (the day before the test split''s first as-of date).';
comment on column monitoring.drift_reference.window_last is 'Last feature day of the reference window.';
comment on column monitoring.drift_reference.variant is 'The view variant the rows were read from (the topic fit of customer_topics_daily the model was trained on); empty for views without variants.';
comment on column monitoring.drift_reference.created_at is 'When the reference was built.';
comment on column monitoring.drift_reference.run_id is 'Dagster run that built it.';

comment on table monitoring.feature_stats_daily is 'Per feature view, feature and day: the day''s rows summarised (nulls, mean, percentiles) and their PSI against the reference of the production model that reads the feature; level ok, warn (PSI above psi_warn), alert (above the model''s psi_alert) or exempt (a calendar feature expected to move). Written by the asset monitoring/feature_stats_daily.';
comment on column monitoring.feature_stats_daily.view_name is 'The feature view (features.<view_name>).';
comment on column monitoring.feature_stats_daily.feature is 'The feature column.';
comment on column monitoring.feature_stats_daily.day is 'The day the rows describe (feature_ts is midnight UTC after it): the day predictions of that day are scored with.';
comment on column monitoring.feature_stats_daily.variant is 'The variant summarised (customer_topics_daily: the topic fit the production model reads, else the current one); empty for views without variants.';
comment on column monitoring.feature_stats_daily.row_count is 'Rows of the view for the day (one per entity).';
comment on column monitoring.feature_stats_daily.null_rate is 'Share of those rows whose value is null.';
comment on column monitoring.feature_stats_daily.mean is 'Mean of the non-null values (numeric features; null for text).';
comment on column monitoring.feature_stats_daily.p05 is '5th percentile of the non-null values (interpolated; numeric features).';
comment on column monitoring.feature_stats_daily.p50 is 'Median of the non-null values (interpolated; numeric features).';
comment on column monitoring.feature_stats_daily.p95 is '95th percentile of the non-null values (interpolated; numeric features).';
comment on column monitoring.feature_stats_daily.psi is 'Population stability index of the day''s values against the reference (same weekday); null when no production model reads the feature or its reference could not be built.';
comment on column monitoring.feature_stats_daily.bins is 'Quantile bins of the reference the PSI used (0 for text features).';
comment on column monitoring.feature_stats_daily.level is 'ok (PSI at most psi_warn), warn (above psi_warn), alert (above psi_alert: the drift_alerts sensor alerts) or exempt (in the model spec''s drift_exempt: calendar features); null without a PSI.';
comment on column monitoring.feature_stats_daily.psi_warn is 'The warn threshold applied (0.1: moderate shift).';
comment on column monitoring.feature_stats_daily.psi_alert is 'The alert threshold applied: the model spec''s psi_threshold (0.25: major shift), the one its promotion gate uses.';
comment on column monitoring.feature_stats_daily.reference_model_id is 'The production model whose reference the PSI is against (the highest PSI when several read the feature).';
comment on column monitoring.feature_stats_daily.computed_at is 'When the row was computed.';
comment on column monitoring.feature_stats_daily.run_id is 'Dagster run that computed it.';

comment on table monitoring.prediction_stats_daily is 'Per model, role (champion, challenger) and prediction day: the scores summarised, their PSI against the model''s reference scores (same weekday), and the live metric over the outcomes known when computed (an earlier day is computed again when more of its outcomes become known, or when a run skipped it). Written by the asset monitoring/prediction_stats_daily.';
comment on column monitoring.prediction_stats_daily.model_id is 'The model that scored (ml.models.id).';
comment on column monitoring.prediction_stats_daily.role is 'champion (production) or challenger (shadow candidate), as in ml.predictions.';
comment on column monitoring.prediction_stats_daily.day is 'Prediction day (the predictions'' partition).';
comment on column monitoring.prediction_stats_daily.model_name is 'Model name (the task).';
comment on column monitoring.prediction_stats_daily.model_version is 'Model version in ml.models.';
comment on column monitoring.prediction_stats_daily.row_count is 'Predictions made.';
comment on column monitoring.prediction_stats_daily.mean is 'Mean score (probability for classifiers, kg for demand).';
comment on column monitoring.prediction_stats_daily.p05 is '5th percentile of the scores (interpolated).';
comment on column monitoring.prediction_stats_daily.p50 is 'Median score (interpolated).';
comment on column monitoring.prediction_stats_daily.p95 is '95th percentile of the scores (interpolated).';
comment on column monitoring.prediction_stats_daily.psi is 'Population stability index of the day''s scores against the model''s scores of its reference rows (same weekday); null when the reference could not be built.';
comment on column monitoring.prediction_stats_daily.bins is 'Quantile bins of the reference the PSI used.';
comment on column monitoring.prediction_stats_daily.level is 'ok, warn (PSI above psi_warn) or alert (above psi_alert: the drift_alerts sensor alerts); null without a PSI.';
comment on column monitoring.prediction_stats_daily.psi_warn is 'The warn threshold applied (0.1).';
comment on column monitoring.prediction_stats_daily.psi_alert is 'The alert threshold applied: the model spec''s psi_threshold.';
comment on column monitoring.prediction_stats_daily.outcomes_known is 'Predictions whose actual outcome was known when the row was computed.';
comment on column monitoring.prediction_stats_daily.auc is 'ROC AUC over the known outcomes (classifiers; null unless both classes occur).';
comment on column monitoring.prediction_stats_daily.accuracy is 'Share of known outcomes predicted right at the model''s threshold.';
comment on column monitoring.prediction_stats_daily.mae is 'Mean absolute error (score - outcome) over the known outcomes.';
comment on column monitoring.prediction_stats_daily.computed_at is 'When the row was computed.';
comment on column monitoring.prediction_stats_daily.run_id is 'Dagster run that computed it.';
