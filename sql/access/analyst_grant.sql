-- Read access for the analyst: connect to this database, select from every table, view and
-- materialized view in the produced layers ({schemas}) and from two quality tables; the default
-- privileges make tables the owner creates there later (dashboard views) readable too.
grant connect on database {database} to {role};
grant usage on schema {schemas}, quality to {role};
grant select on all tables in schema {schemas} to {role};
grant select on {quality_tables} to {role};
alter default privileges for role {owner} in schema {schemas} grant select on tables to {role};
