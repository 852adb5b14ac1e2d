-- The parameters of the simulation that wrote the current ops tables (one row per simulate call),
-- so `demo` can tell whether the source already holds the history it asks for.
create table if not exists ops.simulation_runs (
    params jsonb not null,
    row_counts jsonb not null,
    simulated_at timestamptz not null default now()
)
