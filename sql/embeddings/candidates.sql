-- The service events of [first_partition, last_partition] in the embedding scope (event_type in
-- event_types), one row each, with md5(description) and the action: 'embed', 'unchanged' (the
-- stored vector has this checksum, model and model_version) or why the text is skipped
-- ('null_text', 'empty_text', 'whitespace_text'). Vectors of other model versions are not looked
-- at: a new version fills in beside them.
insert into embedding_candidates (event_id, organization_id, partition_key, checksum, chars, action)
select
    e.id,
    e.organization_id,
    e.partition_key,
    md5(e.description),
    char_length(e.description),
    case
        when e.description is null then 'null_text'
        when e.description = '' then 'empty_text'
        when e.description ~ '^[[:space:]]*$' then 'whitespace_text'
        when v.checksum = md5(e.description)
            and v.model = %(model)s then 'unchanged'
        else 'embed'
    end
from staging.service_events as e
left join vectors.service_event_embeddings as v
    on v.event_id = e.id and v.model_version = %(model_version)s
where e.partition_key between %(first_partition)s and %(last_partition)s
  and e.event_type = any(%(event_types)s)
