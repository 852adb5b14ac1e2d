-- The number of rows of one table ({table}: a catalog name, quoted by the caller).
select count(*) from {table}
