-- Session-local work table of one embedding run: the candidate events of the partition range
-- and what to do with each. Temporary, so a crashed run leaves nothing behind.
create temp table embedding_candidates (
    event_id uuid primary key,
    organization_id uuid not null,
    partition_key text not null,
    checksum text,
    chars integer,
    action text not null
)
