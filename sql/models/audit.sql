-- Appends one ML operation (training, gate decision, promotion, retirement, rollback, ...) to
-- the audit log: who (a user or a schedule), which run, its parameters, result and duration.
insert into ml.audit_log
    (operation_type, model_id, actor, run_id, params, result, status, duration_ms)
values
    (%(operation_type)s, %(model_id)s, %(actor)s, %(run_id)s, %(params)s, %(result)s,
     %(status)s, %(duration_ms)s)
