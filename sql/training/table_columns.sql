-- The columns of one table in order: name, type as format_type spells it, and not-null.
select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null
from pg_attribute as a
where a.attrelid = %(table)s::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum
