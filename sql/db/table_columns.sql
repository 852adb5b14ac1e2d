-- The columns of one table in order: name, type as format_type spells it, not-null and comment.
select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
       col_description(a.attrelid, a.attnum) as comment
from pg_attribute as a
where a.attrelid = %(table)s::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum
