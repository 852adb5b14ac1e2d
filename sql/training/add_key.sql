-- The primary key of a built dataset: one row per (entity, label_ts).
alter table {table} add constraint {constraint} primary key ({entity_key}, label_ts)
