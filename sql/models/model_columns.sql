-- The registry columns a ModelRow carries, for one model selected by the caller's where clause.
select id, model_name, model_version, model_type, deployment_status, training_data_version,
    feature_set_version, hyperparameters, training_metrics, validation_metrics, test_metrics,
    artifact_path, artifact_sha256, artifact_size_bytes, rollback_model_id, run_id, created_at,
    deployed_at
from ml.models
