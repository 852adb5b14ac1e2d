-- Quarantine for rows that failed validation, per-partition ingest accounting, and the history
-- of data-quality check results.
create table quality.rejected_rows (
    source_table text not null,
    source_id text,
    reason text not null,
    raw_row jsonb not null,
    partition_key text not null,
    run_id text not null,
    rejected_at timestamptz not null default now()
);
create index rejected_rows_table_partition on quality.rejected_rows (source_table, partition_key);

create table quality.ingest_counts (
    source_table text not null,
    partition_key text not null,
    rows_in bigint not null,
    rows_staged bigint not null,
    rows_rejected bigint not null,
    rows_superseded bigint not null,
    run_id text not null,
    counted_at timestamptz not null default now(),
    primary key (source_table, partition_key),
    check (rows_in = rows_staged + rows_rejected + rows_superseded)
);

create table quality.check_results (
    asset_key text not null,
    check_name text not null,
    partition_key text,
    passed boolean not null,
    severity text not null,
    observed jsonb not null default '{}'::jsonb,
    run_id text,
    checked_at timestamptz not null default now()
);
create index check_results_asset_check on quality.check_results (asset_key, check_name, checked_at desc);

comment on table quality.rejected_rows is 'Rows that failed ingest validation: the raw row as landed, the first rule it broke, its partition and run.';
comment on table quality.ingest_counts is 'Latest staging outcome of each (table, partition): rows in = staged + rejected + superseded.';
comment on table quality.check_results is 'One row per data-quality check execution (asset check), kept as history.';
