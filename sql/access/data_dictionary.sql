-- The data dictionary: one row per column of every table, view and materialized view in the
-- given schemas, with the schema's, the relation's and the column's comments; a schema without
-- relations still gets one row (relation null). Partitions are left out: their parent describes
-- them. Ordered as the schemas are given, then by relation name and column position.
select
    n.nspname as schema_name,
    obj_description(n.oid, 'pg_namespace') as schema_comment,
    c.relname as relation_name,
    c.relkind::text as relkind,
    obj_description(c.oid, 'pg_class') as relation_comment,
    a.attname as column_name,
    format_type(a.atttypid, a.atttypmod) as column_type,
    not a.attnotnull as nullable,
    col_description(c.oid, a.attnum) as column_comment
from unnest(%(schemas)s::text[]) with ordinality as s (name, position)
join pg_namespace as n on n.nspname = s.name
left join pg_class as c
    on c.relnamespace = n.oid and c.relkind in ('r', 'v', 'm', 'p') and not c.relispartition
left join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
order by s.position, c.relname, a.attnum
