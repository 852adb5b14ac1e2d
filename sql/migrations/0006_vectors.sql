-- Sentence embeddings of service-event notes (pgvector), their metadata, the texts that could not
-- be embedded, the topics clustered from them, the per-customer topic feature view, and a SQL
-- similarity function for analysts. The HNSW index is not created here: the embedding asset
-- builds it once after the first bulk load (building it on an empty table and then inserting
-- every row is several times slower than one build over the loaded rows).

create table vectors.service_event_embeddings (
    event_id uuid primary key,
    embedding vector(384) not null,
    model text not null,
    model_version text not null,
    checksum text not null,
    embedded_at timestamptz not null default now(),
    partition_key text not null
);
create index service_event_embeddings_partition
    on vectors.service_event_embeddings (partition_key);

comment on table vectors.service_event_embeddings is 'One sentence embedding per service event description (staging.service_events.id), with the model and model_version that produced it and md5(description) at the time: a row is re-embedded only when one of the three changes. Search with the platform-assets search command or vectors.similar_events().';
comment on column vectors.service_event_embeddings.checksum is 'md5 of the description that was embedded.';
comment on column vectors.service_event_embeddings.model_version is 'Stable id of the weights and encoding settings (package version, weight hash, normalisation, max_chars).';
comment on column vectors.service_event_embeddings.partition_key is 'The staging partition (UTC day the event last changed) the row was embedded from.';

-- The design notes' ml_vector_metadata, one row per embedded entity: the generic catalogue of
-- vectors (any entity type), kept in the same transaction as the vectors it describes.
create table vectors.metadata (
    id uuid primary key default gen_random_uuid(),
    entity_type text not null,
    entity_id uuid not null,
    vector_id text not null,
    model text not null,
    model_version text not null,
    dimensions integer not null,
    checksum text not null,
    generated_at timestamptz not null,
    generation_time_ms double precision,
    organization_id uuid,
    partition_key text not null,
    run_id text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint metadata_entity_unique unique (entity_type, entity_id),
    constraint metadata_vector_id_unique unique (vector_id)
);
create index metadata_org on vectors.metadata (organization_id, entity_type);

comment on table vectors.metadata is 'Catalogue of stored vectors (the design notes'' ml_vector_metadata): entity, where the vector lives (vector_id = table/key), model, version, dimensions, text checksum, when and by which run it was generated.';
comment on column vectors.metadata.generation_time_ms is 'Average encoding time per text of the batch run that produced the vector.';

create table vectors.skipped_texts (
    event_id uuid primary key,
    reason text not null,
    partition_key text not null,
    run_id text,
    checked_at timestamptz not null default now()
);

comment on table vectors.skipped_texts is 'Service events in the embedding scope whose description could not be embedded (null, empty or whitespace), with the reason: rows in = embedded + unchanged + skipped.';

-- Topics: k-means over the embeddings of complaint-like events. Only the current fit is kept;
-- a refit replaces it (and the feature rows computed from it) in one transaction.
create table vectors.topics (
    topic_id integer primary key,
    label text not null,
    size integer not null,
    model_version text not null,
    fit_id text not null,
    k integer not null,
    seed integer not null,
    event_types text[] not null,
    fit_cutoff timestamptz not null,
    centroid vector(384) not null,
    fitted_at timestamptz not null default now()
);

comment on table vectors.topics is 'The current topic fit: one row per k-means cluster of complaint-like event embeddings, with a label made of its most typical phrases, its size, the embeddings it was fitted on (model_version, events before fit_cutoff) and its centroid.';

create table vectors.event_topics (
    event_id uuid primary key,
    topic_id integer not null,
    distance double precision not null,
    fit_id text not null
);
create index event_topics_topic on vectors.event_topics (topic_id);

comment on table vectors.event_topics is 'The topic of each embedded complaint-like event under the current fit (nearest centroid).';

-- Topic counts per customer and day. The width is fixed at 8 topics (the default k): a training
-- dataset joins features as columns, so k is capped at 8 and unused topics count 0.
create table features.customer_topics_daily (
    customer_id uuid not null,
    feature_ts timestamptz not null,
    source_max_ts timestamptz,
    topic_0_30d integer not null, topic_1_30d integer not null, topic_2_30d integer not null,
    topic_3_30d integer not null, topic_4_30d integer not null, topic_5_30d integer not null,
    topic_6_30d integer not null, topic_7_30d integer not null,
    topic_0_90d integer not null, topic_1_90d integer not null, topic_2_90d integer not null,
    topic_3_90d integer not null, topic_4_90d integer not null, topic_5_90d integer not null,
    topic_6_90d integer not null, topic_7_90d integer not null,
    primary key (customer_id, feature_ts)
);
create index customer_topics_daily_feature_ts on features.customer_topics_daily (feature_ts);

comment on table features.customer_topics_daily is 'Per customer and day: complaint-like events of each topic (vectors.topics) over 30 and 90 days. Valid from feature_ts (the end of the day).';

create view features.customer_topics_daily_latest as
    select distinct on (customer_id) * from features.customer_topics_daily
    order by customer_id, feature_ts desc;

-- The k nearest events to a given event by cosine distance, for analysts without a model:
-- select * from vectors.similar_events('...'::uuid, 5). Parameters are referenced as $1/$2
-- because the output column event_id shares the input's name.
create function vectors.similar_events(event_id uuid, k integer default 10)
returns table (
    event_id uuid,
    distance double precision,
    event_type text,
    service_date timestamptz,
    description text
)
language sql stable
set hnsw.ef_search = 100
set hnsw.iterative_scan = relaxed_order
as $$
    select v.event_id, v.embedding <=> q.embedding, e.event_type, e.service_date, e.description
    from vectors.service_event_embeddings as q
    cross join lateral (
        select c.event_id, c.embedding
        from vectors.service_event_embeddings as c
        where c.event_id <> q.event_id
        order by c.embedding <=> q.embedding
        limit $2
    ) as v
    join staging.service_events as e on e.id = v.event_id
    where q.event_id = $1
    order by v.embedding <=> q.embedding
$$;

comment on function vectors.similar_events(uuid, integer) is 'The k events whose description embeddings are nearest (cosine distance) to the given event''s; empty when the event has no embedding.';
