-- What the analyst role can actually do after the grants (through PUBLIC and memberships too):
-- whether it holds a powerful attribute, the schemas it may create in, and the tables it may
-- read that it must not (ops, raw, staging, quality other than the two granted). One row.
select
    r.rolsuper or r.rolcreatedb or r.rolcreaterole or r.rolbypassrls as privileged,
    array(
        select n.nspname
        from pg_namespace as n
        where n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
          and has_schema_privilege(r.oid, n.oid, 'create')
        order by n.nspname
    ) as create_schemas,
    array(
        select n.nspname || '.' || c.relname
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'v', 'm', 'p')
          and (n.nspname = any(%(denied)s)
               or (n.nspname = 'quality' and c.relname <> all(%(quality_tables)s)))
          and has_table_privilege(r.oid, c.oid, 'select')
        order by 1
    ) as readable_denied
from pg_roles as r
where r.rolname = %(role)s
