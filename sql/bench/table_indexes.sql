-- The indexes of one table and how to build them again: a primary key or unique constraint by
-- its constraint definition, any other index by its index definition; its columns (for the
-- collision check); `referenced` when a foreign key points at the table (its keys stay).
select
    ic.relname as index_name,
    con.conname as constraint_name,
    case when con.oid is not null then pg_get_constraintdef(con.oid) end as constraint_def,
    pg_get_indexdef(i.indexrelid) as index_def,
    i.indisunique as is_unique,
    array(
        select a.attname::text
        from unnest(i.indkey) with ordinality as key (attnum, position)
        join pg_attribute as a on a.attrelid = i.indrelid and a.attnum = key.attnum
        order by key.position
    ) as columns,
    exists (
        select 1 from pg_constraint as f where f.contype = 'f' and f.confrelid = i.indrelid
    ) as referenced
from pg_index as i
join pg_class as ic on ic.oid = i.indexrelid
left join pg_constraint as con
    on con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u')
where i.indrelid = %(table)s::regclass
order by ic.relname
