-- A session-local table for reference values computed outside Postgres (a model's scores of its
-- reference rows), in the shape monitoring/drift_reference reads; dropped at commit.
create temp table _drift_reference_rows (
    day date not null,
    feature text not null,
    kind text not null,
    num double precision,
    cat text
) on commit drop
