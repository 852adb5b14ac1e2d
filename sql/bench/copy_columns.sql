-- The columns of the tables to copy, in order: the type's name and modifier (a vector's
-- dimensions), `kept` when a foreign key ties the column to a table outside the copy (e.g.
-- ml.models: it keeps its value), and `filled` when the database fills it (identity, generated
-- or sequence default: left out of the insert, so each copy gets its own).
select
    n.nspname as schema_name,
    c.relname as table_name,
    a.attname as column_name,
    t.typname as type_name,
    a.atttypmod as typmod,
    exists (
        select 1
        from pg_constraint as f
        where f.conrelid = c.oid
          and f.contype = 'f'
          and a.attnum = any(f.conkey)
          and f.confrelid <> all(%(tables)s::regclass[])
    ) as kept,
    (a.attidentity <> '' or a.attgenerated <> ''
     or coalesce(pg_get_expr(d.adbin, d.adrelid) like 'nextval(%%', false)) as filled
from pg_attribute as a
join pg_class as c on c.oid = a.attrelid
join pg_namespace as n on n.oid = c.relnamespace
join pg_type as t on t.oid = a.atttypid
left join pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
where c.oid = any(%(tables)s::regclass[])
  and a.attnum > 0
  and not a.attisdropped
order by n.nspname, c.relname, a.attnum
