-- The declared dimensions of an embedding column (vector(n) stores n as its type modifier).
select a.atttypmod
from pg_attribute as a
where a.attrelid = %(table)s::regclass and a.attname = %(column)s and not a.attisdropped
