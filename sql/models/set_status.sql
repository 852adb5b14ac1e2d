-- Moves one model to a deployment status; deployed_at and rollback_model_id change only when
-- given (a promotion sets both, a retirement neither).
update ml.models
set deployment_status = %(status)s,
    deployed_at = coalesce(%(deployed_at)s, deployed_at),
    rollback_model_id = coalesce(%(rollback_model_id)s, rollback_model_id)
where id = %(id)s
