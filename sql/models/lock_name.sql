-- Serialises registry changes of one model name (new versions, promotions, rollbacks) for the
-- rest of the transaction; the partial unique index is the backstop if a writer skips it.
select pg_advisory_xact_lock(hashtext('ml.models:' || %(model_name)s))
