-- Topics that never rewrite the past. A vector is kept per (event, model_version), so a new
-- embedding model fills in beside the old one; a topic fit is a version of its own
-- (vectors.topic_fits) with a fixed fit window recorded in it, its centroids per vector space
-- (its own, and the space of a later model once every note it assigned has a vector there), and
-- its own assignments and feature rows (features.customer_topics_daily.fit_id). A refit adds a
-- fit; it never changes another fit's rows. Evidence tables and the registry carry the variant
-- (the fit) of a view whose table holds several.

alter table vectors.service_event_embeddings drop constraint service_event_embeddings_pkey;
alter table vectors.service_event_embeddings add primary key (event_id, model_version);

create table vectors.topic_fits (
    fit_id text primary key,
    model_version text not null,
    k integer not null,
    seed integer not null,
    event_types text[] not null,
    fit_from date,
    serves_from date not null,
    fit_texts integer not null,
    created_at timestamptz not null default clock_timestamp()
);

-- A fit made before this migration saw notes up to its cutoff and served every day: it is kept
-- as it was (fit_from unknown), and serves from its first feature row.
insert into vectors.topic_fits
    (fit_id, model_version, k, seed, event_types, fit_from, serves_from, fit_texts, created_at)
select distinct on (t.fit_id)
    t.fit_id, t.model_version, t.k, t.seed, t.event_types, null,
    coalesce((select (min(feature_ts) at time zone 'UTC')::date - 1
              from features.customer_topics_daily), (t.fit_cutoff at time zone 'UTC')::date),
    (select count(*) from vectors.event_topics), t.fitted_at
from vectors.topics as t
order by t.fit_id;

alter table vectors.topics drop constraint topics_pkey;
alter table vectors.topics add primary key (fit_id, model_version, topic_id);

alter table vectors.event_topics drop constraint event_topics_pkey;
alter table vectors.event_topics add primary key (fit_id, event_id);
alter table vectors.event_topics add column model_version text;
update vectors.event_topics as a set model_version = f.model_version
from vectors.topic_fits as f where f.fit_id = a.fit_id;
alter table vectors.event_topics alter column model_version set not null;
drop index vectors.event_topics_topic;
create index event_topics_event on vectors.event_topics (event_id);

alter table features.customer_topics_daily add column fit_id text;
update features.customer_topics_daily set fit_id = (select min(fit_id) from vectors.topic_fits);
alter table features.customer_topics_daily alter column fit_id set not null;
alter table features.customer_topics_daily drop constraint customer_topics_daily_pkey;
alter table features.customer_topics_daily add primary key (customer_id, fit_id, feature_ts);

create or replace view features.customer_topics_daily_latest as
    select distinct on (d.customer_id) d.*
    from features.customer_topics_daily as d
    where d.fit_id = (select fit_id from vectors.topic_fits order by created_at desc limit 1)
    order by d.customer_id, d.feature_ts desc;

alter table features.registry add column variant text not null default '';

alter table features.day_fingerprints add column variant text not null default '';
alter table features.day_fingerprints drop constraint day_fingerprints_pkey;
alter table features.day_fingerprints add primary key (view_name, variant, day);

alter table quality.view_day_checks add column variant text not null default '';
drop index quality.view_day_checks_lookup;
create index view_day_checks_lookup on quality.view_day_checks
    (view_name, variant, day, fingerprint, check_name, checked_at desc);

alter table training.dataset_inputs add column variant text not null default '';
alter table training.dataset_inputs drop constraint dataset_inputs_pkey;
alter table training.dataset_inputs add primary key (task, version, view_name, variant, day);

-- One vector per event now: the newest (the query event's) and neighbours of the same space.
create or replace function vectors.similar_events(event_id uuid, k integer default 10)
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
    from (
        select s.event_id, s.embedding, s.model_version
        from vectors.service_event_embeddings as s
        where s.event_id = $1
        order by s.embedded_at desc, s.model_version
        limit 1
    ) as q
    cross join lateral (
        select c.event_id, c.embedding
        from vectors.service_event_embeddings as c
        where c.event_id <> q.event_id and c.model_version = q.model_version
        order by c.embedding <=> q.embedding
        limit $2
    ) as v
    join staging.service_events as e on e.id = v.event_id
    order by v.embedding <=> q.embedding
$$;

comment on table vectors.topic_fits is 'One row per topic model version: the embedding space it was fitted in (model_version), k, seed, event types, and its fit window: notes with service_date in [fit_from, serves_from); it serves feature days from serves_from on, so no feature row counts topics of a fit that saw its future notes.';
comment on table vectors.topics is 'The topics of every fit: one row per fit, vector space (model_version) and k-means cluster, with its label, size and centroid. A fit''s own space holds the fitted centroids; a later model''s space holds the mean of that model''s vectors of the notes the fit assigned, so the fit can go on assigning new notes.';
comment on table vectors.event_topics is 'The topic of each embedded complaint-like event under each fit (nearest centroid), and the vector space it was assigned in.';
comment on column features.customer_topics_daily.fit_id is 'The topic fit (vectors.topic_fits) the row counts topics of: rows of several fits coexist, a refit never rewrites another fit''s rows.';
comment on column features.registry.variant is 'For a view whose table holds several variants (customer_topics_daily: one per topic fit), the variant this version reads; empty otherwise.';
comment on column features.day_fingerprints.variant is 'The view variant (topic fit) the fingerprinted rows belong to; empty for views without variants.';
comment on column quality.view_day_checks.variant is 'The view variant (topic fit) checked; empty for views without variants.';
comment on column training.dataset_inputs.variant is 'The view variant (topic fit) the dataset joined; empty for views without variants.';
comment on column vectors.topic_fits.model_version is 'The embedding model_version whose vectors the fit was made from (its own space).';
comment on column vectors.topic_fits.fit_from is 'First day of the notes the fit used (NULL: a fit made before topic versions, which saw every note before its cutoff).';
comment on column vectors.topic_fits.serves_from is 'First feature day the fit''s rows are written for; the fit used only notes before it.';
comment on column vectors.topic_fits.fit_texts is 'Notes the k-means fit was made from.';
comment on column vectors.event_topics.model_version is 'The vector space the event was assigned in: the fit''s own, or a later model''s (through the fit''s centroids there).';
comment on column vectors.topic_fits.fit_id is 'The topic model version: a hash of its centroids, settings and fit window.';
comment on column vectors.topic_fits.k is 'Number of topics (k-means clusters).';
comment on column vectors.topic_fits.seed is 'k-means seed: the same notes, settings and seed give the same fit.';
comment on column vectors.topic_fits.event_types is 'Event types whose notes the fit clusters.';
comment on column vectors.topic_fits.created_at is 'When the fit was made or last put back in force: the newest fit is the one in force.';
comment on column features.customer_topics_daily_latest.fit_id is 'The topic fit in force (vectors.topic_fits) whose rows this view serves.';
