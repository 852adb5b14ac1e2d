-- Registers a new version of a model (the next number of its name) with status staging.
-- Run under lock_name: two trainings of one name never draw the same number.
insert into ml.models (
    model_name, model_version, model_type, model_config, hyperparameters, feature_set_version,
    training_data_version, training_metrics, validation_metrics, test_metrics, artifact_path,
    artifact_sha256, artifact_size_bytes, deployment_status, run_id
)
select
    %(model_name)s,
    coalesce(max(model_version), 0) + 1,
    %(model_type)s, %(model_config)s, %(hyperparameters)s, %(feature_set_version)s,
    %(training_data_version)s, %(training_metrics)s, %(validation_metrics)s, %(test_metrics)s,
    %(artifact_path)s, %(artifact_sha256)s, %(artifact_size_bytes)s, 'staging', %(run_id)s
from ml.models
where model_name = %(model_name)s
returning id
