-- Publishes a built dataset table under its task's name, replacing the previous one (named
-- statements run inside the build's transaction: readers see the old table until commit).
drop table if exists {target};
alter table {build} rename to {new_name};
alter table {target} rename constraint {build_key} to {key};
comment on table {target} is {comment};
