-- Every user schema of the current database (system schemas left out): what grants and revokes
-- may name, one row per schema.
select nspname
from pg_namespace
where nspname <> 'information_schema' and nspname !~ '^pg_'
order by nspname
