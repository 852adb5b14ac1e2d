-- The purged split of training datasets: each registered version records its label horizon and
-- what the purge did, so a reader can tell whether train, valid and test label windows overlap.
-- Versions registered before this migration keep NULL in both (their splits were not purged).
alter table training.datasets
    add column horizon interval,
    add column purge jsonb;

comment on column training.datasets.horizon is 'Label horizon of the task: each label looks at (label_ts, label_ts + horizon]; null: registered before the purge existed.';
comment on column training.datasets.purge is 'The purge of label windows that cross into the next split, as JSON: {"enabled", "horizon_s", "valid_from", "test_from", "rows_purged": {split: n}, "rows_overlapping": {split: n} (before any purge)}; null: registered before the purge existed.';
