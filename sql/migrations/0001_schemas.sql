-- The platform's schemas (one per layer, see DESIGN.md) and the pgvector extension.
create extension if not exists vector;

create schema if not exists raw;
create schema if not exists staging;
create schema if not exists features;
create schema if not exists training;
create schema if not exists ml;
create schema if not exists vectors;
create schema if not exists analytics;
create schema if not exists quality;
create schema if not exists monitoring;

comment on schema raw is 'Landed copies of the operational tables, all values as text, one daily partition (updated_at day) per load.';
comment on schema staging is 'Typed, deduplicated, validated current state of the operational tables.';
comment on schema quality is 'Rejected rows with reasons, and the history of data-quality check results.';
