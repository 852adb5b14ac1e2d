-- Registry states that mean something: a version taken out of production by a rollback is
-- `rolled_back` (not `retired`, which is what a replaced version becomes), and a candidate a
-- person rejected is `denied`. The gate never promotes either again without a forced, reasoned
-- override. Each gate decision records the threshold overrides it ran with and its actor.
alter table ml.models drop constraint models_deployment_status_check;
alter table ml.models add constraint models_deployment_status_check
    check (deployment_status in
           ('training', 'staging', 'production', 'retired', 'rolled_back', 'denied'));

alter table ml.promotion_decisions
    add column overrides jsonb not null default '{}'::jsonb,
    add column actor text;

comment on column ml.models.deployment_status is 'training, staging (a candidate), production (at most one per name), retired (replaced by a newer production version), rolled_back (taken out of production by a rollback) or denied (rejected by a person); the gate promotes neither of the last two again without --force --reason.';
comment on column ml.promotion_decisions.overrides is 'Gate thresholds this decision ran with in place of the model spec''s ({"floor": 0.5, ...}); {} when none.';
comment on column ml.promotion_decisions.actor is 'Who asked for the decision (a Dagster run''s launcher or the shell user); null before migration 0012.';
