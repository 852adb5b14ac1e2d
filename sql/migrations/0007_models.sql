-- Model registry, promotion decisions, the ML audit log and batch predictions (schema ml), and
-- the data version each check result was taken on, so the promotion gate can ask whether the
-- blocking checks passed for the exact versions a model was trained from.
alter table quality.check_results add column data_version text;
create index check_results_asset_version
    on quality.check_results (asset_key, data_version, check_name, checked_at desc);
comment on column quality.check_results.data_version is 'Version of the data checked: a training dataset version, or the feature view version.';

create table ml.models (
    id uuid primary key default gen_random_uuid(),
    model_name text not null,
    model_version integer not null check (model_version > 0),
    model_type text not null,
    model_config jsonb not null default '{}'::jsonb,
    hyperparameters jsonb not null default '{}'::jsonb,
    feature_set_version jsonb not null default '{}'::jsonb,
    training_data_version text not null,
    training_metrics jsonb not null default '{}'::jsonb,
    validation_metrics jsonb not null default '{}'::jsonb,
    test_metrics jsonb not null default '{}'::jsonb,
    artifact_path text not null,
    artifact_sha256 text not null check (artifact_sha256 ~ '^[0-9a-f]{64}$'),
    artifact_size_bytes bigint not null check (artifact_size_bytes > 0),
    deployment_status text not null default 'training'
        check (deployment_status in ('training', 'staging', 'production', 'retired')),
    rollback_model_id uuid references ml.models (id),
    run_id text,
    created_at timestamptz not null default now(),
    deployed_at timestamptz,
    unique (model_name, model_version)
);
-- The database, not the code, guarantees one production version per model name.
create unique index models_one_production on ml.models (model_name)
    where deployment_status = 'production';

create table ml.promotion_decisions (
    model_id uuid not null references ml.models (id),
    decision text not null check (decision in ('promoted', 'blocked')),
    reasons jsonb not null,
    decided_at timestamptz not null default now(),
    run_id text
);
create index promotion_decisions_model on ml.promotion_decisions (model_id, decided_at desc);

create table ml.audit_log (
    operation_type text not null,
    model_id uuid references ml.models (id),
    actor text not null,
    run_id text,
    params jsonb not null default '{}'::jsonb,
    result jsonb not null default '{}'::jsonb,
    status text not null check (status in ('success', 'failure', 'blocked')),
    duration_ms integer,
    logged_at timestamptz not null default now()
);
create index audit_log_logged_at on ml.audit_log (logged_at);

create table ml.predictions (
    model_id uuid not null references ml.models (id),
    prediction_type text not null,
    entity_type text not null,
    entity_id uuid not null,
    partition_key text not null,
    prediction_timestamp timestamptz not null,
    input_feature_hash text not null,
    prediction_result jsonb not null,
    confidence_score numeric(5, 4) check (confidence_score between 0 and 1),
    inference_time_ms double precision,
    actual_outcome jsonb,
    outcome_timestamp timestamptz,
    prediction_error double precision,
    prediction_accuracy numeric(5, 4) check (prediction_accuracy between 0 and 1),
    created_at timestamptz not null default now(),
    primary key (prediction_type, partition_key, entity_id)
);
create index predictions_model on ml.predictions (model_id, prediction_timestamp);
create index predictions_open_outcomes on ml.predictions (prediction_type, prediction_timestamp)
    where actual_outcome is null;

comment on table ml.models is 'Model registry: one row per trained version, its lineage (dataset and feature view versions), metrics, artifact and deployment status.';
comment on table ml.promotion_decisions is 'One row per promotion-gate decision: promoted or blocked, with every rule and its observed values.';
comment on table ml.audit_log is 'Every ML operation (training, gate decision, promotion, retirement, rollback, forced promotion, failed run): who, which run, parameters, result, duration.';
comment on table ml.predictions is 'Batch predictions of the production model per task and day, joined later to the actual outcome.';
