-- The registry columns a ModelRow carries (in its field order), before the caller's where clause.
select id, model_name, model_version, model_type, model_config, deployment_status,
    training_data_version, feature_set_version, hyperparameters, training_metrics, validation_metrics, test_metrics,
    artifact_path, artifact_sha256, artifact_size_bytes, rollback_model_id, run_id, created_at,
    deployed_at
from ml.models
