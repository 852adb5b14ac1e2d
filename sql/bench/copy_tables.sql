-- The ordinary tables (not partitions) of the given schemas, by schema and name.
select n.nspname as schema_name, c.relname as table_name
from pg_class as c
join pg_namespace as n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and not c.relispartition
  and n.nspname = any(%(schemas)s)
order by 1, 2
