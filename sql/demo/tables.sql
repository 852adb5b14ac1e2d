-- The tables of the schemas the demo reports on, one row per table: in the order of
-- %(schemas)s, then by name.
select schemaname, tablename
from pg_tables
where schemaname::text = any(%(schemas)s::text[])
order by array_position(%(schemas)s::text[], schemaname::text), tablename
