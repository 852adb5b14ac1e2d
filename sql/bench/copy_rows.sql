-- `copies` remapped copies of every row of one table (copy k = 1..copies of each row): {values}
-- are the table's columns with their ids mapped by the pg_temp.nl_* functions. The select reads
-- the table as it stood when the statement started, so it never copies a copy.
insert into {table} ({columns})
select {values}
from {table} as s
cross join generate_series(1, %(copies)s) as k
