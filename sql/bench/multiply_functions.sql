-- Session functions (pg_temp) that make copy k (1..factor-1) of a row for bench/multiply.py:
-- nl_uuid maps an id to its copy's id (the same id in every table, so keys and joins hold);
-- nl_text maps the uuid inside a text (a landed id, 'vectors.service_event_embeddings/<id>');
-- nl_json maps the uuids in a jsonb object's string values (quality.rejected_rows.raw_row);
-- nl_offset is copy k's small fixed shift of a vector, read from pg_temp.nl_offsets, so copies
-- of an embedding are near each other but not identical (an HNSW graph of exact duplicates
-- would not be the graph a real L history builds).
create or replace function pg_temp.nl_uuid(id uuid, k integer) returns uuid
language sql immutable strict parallel safe
return md5(k::text || ':' || id::text)::uuid;

create or replace function pg_temp.nl_text(value text, k integer) returns text
language sql immutable strict parallel safe
return coalesce(
    replace(
        value,
        substring(value from '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'),
        pg_temp.nl_uuid(
            substring(value from '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}')::uuid,
            k
        )::text
    ),
    value
);

create or replace function pg_temp.nl_json(value jsonb, k integer) returns jsonb
language sql immutable strict parallel safe
return (
    select coalesce(
        jsonb_object_agg(
            e.key,
            case when jsonb_typeof(e.value) = 'string'
                 then to_jsonb(pg_temp.nl_text(e.value #>> '{}', k))
                 else e.value end
        ),
        '{}'::jsonb
    )
    from jsonb_each(value) as e
);

create table if not exists pg_temp.nl_offsets (k integer, dims integer, shift vector, primary key (k, dims));

create or replace function pg_temp.nl_offset(k integer, dims integer) returns vector
language sql stable strict
return (select o.shift from pg_temp.nl_offsets as o where o.k = $1 and o.dims = $2);
