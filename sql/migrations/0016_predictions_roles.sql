-- Shadow challengers and explanations in ml.predictions. A task's day may now be scored by
-- its production model (role champion) and by candidates that passed the gate's data and floor
-- rules but not the comparison with production (role challenger), so the key gains the model.
-- Champion predictions carry their top contributing features (exact SHAP values of the
-- model's raw output), so an analyst can see why an entity scored as it did.
alter table ml.predictions
    add column role text not null default 'champion'
        check (role in ('champion', 'challenger')),
    add column top_features jsonb;

alter table ml.predictions drop constraint predictions_pkey;
alter table ml.predictions
    add primary key (prediction_type, partition_key, entity_id, model_id);

-- The dashboards and `models compare` pair a day's champion and challenger rows per entity.
create index predictions_role on ml.predictions (prediction_type, role, partition_key);

comment on table ml.predictions is 'Batch predictions per task, day and entity: the production model''s (role champion, with its top contributing features) and each shadow challenger''s, joined later to the actual outcome.';
comment on column ml.predictions.role is 'champion: scored by the production model of that night; challenger: a shadow candidate (passed the gate''s data and floor rules, not promoted) scored beside it on the same rows.';
comment on column ml.predictions.top_features is 'Champion predictions: the features that moved this score most, as [{"feature", "value", "contribution"}] by absolute contribution (exact SHAP values of the model''s raw output: log-odds for classifiers, kg for demand; they sum with the base value to the raw score). Null for challengers.';
