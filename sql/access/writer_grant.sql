-- Everything the platform does in its own schemas ({schemas}): create tables, write them, use
-- their sequences, now and (default privileges) for what the owner creates later.
grant usage, create on schema {schemas} to {role};
grant all on all tables in schema {schemas} to {role};
grant all on all sequences in schema {schemas} to {role};
alter default privileges for role {owner} in schema {schemas} grant all on tables to {role};
alter default privileges for role {owner} in schema {schemas} grant all on sequences to {role};
