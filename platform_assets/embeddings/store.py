"""Incremental embedding of service-event notes into `vectors.service_event_embeddings`.

Postgres decides what needs work (md5 of each description against the stored checksum, model
and model_version), so a re-run of a finished range sends no text to the model. Vectors are kept
per (event, model_version): a new model version fills in beside the old one, the range's events
first and up to `coverage_batch` older ones per run, so the topic fits reading the old vectors
keep working until the new version covers every note. Once a version covers every note up to a
partition (`vectors.coverage`), later runs count only their own partitions: a note changes only by
landing in a newer one; a full count confirms it every `VERIFY_DAYS`. The vectors are
computed chunk by chunk and staged by binary COPY into a temporary table; only then, in one
short transaction, are they upserted with their metadata and the skip reasons. A crash before
that commit leaves the previous vectors untouched and readable.
"""

import uuid
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from platform_assets.db.locks import lock_relation
from platform_assets.db.sql import compose, load_sql
from platform_assets.embeddings.model import EmbeddingModel, dimension_error
from platform_assets.embeddings.scope import EMBEDDING_COLUMN, EMBEDDINGS_TABLE
from platform_assets.embeddings.vector_copy import write_vectors

_STAGED = sql.Identifier("embedding_staged")
_WRITE_SQL = (
    "embeddings/drop_stale_staged",
    "embeddings/upsert",
    "embeddings/drop_outdated_versions",
    "embeddings/upsert_metadata",
    "embeddings/drop_skipped_vectors",
    "embeddings/clear_skipped",
    "embeddings/record_skipped",
)
# Every file whose text decides which rows are written (the asset's code version hashes them).
SQL_NAMES = (
    "embeddings/create_candidates",
    "embeddings/create_staged",
    "embeddings/candidates",
    "embeddings/coverage_state",
    "embeddings/coverage_candidates",
    "embeddings/texts",
    *_WRITE_SQL,
    "embeddings/create_index",
    "embeddings/record_coverage",
)
# A recorded coverage is trusted this long before a run counts over all history again (it also
# catches what no run could see: a vector deleted by hand, a race between two ranges' records).
VERIFY_DAYS = 7


@dataclass
class EmbedReport:
    """What one run did with its candidate events: rows in = embedded + unchanged + skipped;
    `stale` of the embedded were not written, their text having changed meanwhile."""

    model: str
    model_version: str
    candidates: int = 0
    embedded: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    truncated: int = 0
    stale: int = 0
    encode_s: float = 0.0
    coverage_missing: int | None = None  # in-scope events still without a vector of this version
    coverage_counted: str = "all history"  # or "range": the partitions before it were covered

    @property
    def texts_per_s(self) -> float | None:
        return round(self.embedded / self.encode_s, 1) if self.encode_s > 0 else None


@dataclass(frozen=True)
class IndexState:
    created: bool  # built by this call
    options: list[str] | None  # the index's m / ef_construction; None: no index yet


def column_dimensions(conn: psycopg.Connection, table: str, column: str) -> int:
    row = conn.execute(
        load_sql("embeddings/column_dimensions"), {"table": table, "column": column}
    ).fetchone()
    if row is None or row[0] <= 0:
        raise ValueError(f"{table}.{column} is not a vector column with fixed dimensions")
    return row[0]


def check_model_dimensions(conn: psycopg.Connection, model: EmbeddingModel) -> int:
    """Fail before any text is encoded when the model cannot fill the column."""
    expected = column_dimensions(conn, EMBEDDINGS_TABLE, EMBEDDING_COLUMN)
    got = model.dimensions()
    if got != expected:
        raise dimension_error(
            f"model {model.name()!r}", got, f"{EMBEDDINGS_TABLE}.{EMBEDDING_COLUMN}", expected
        )
    return got


def embed_range(
    conn: psycopg.Connection,
    model: EmbeddingModel,
    first_partition: str,
    last_partition: str,
    event_types: list[str],
    run_id: str | None = None,
    chunk_texts: int = 4096,
    coverage_batch: int = 0,
) -> EmbedReport:
    """Embed the changed texts of the partition range, and up to `coverage_batch` older texts
    without a vector of this model version; `conn` must be in autocommit mode."""
    params = {
        "coverage_batch": coverage_batch,
        "first_partition": first_partition,
        "last_partition": last_partition,
        "event_types": event_types,
        "scope": sorted(event_types),
        "model": model.name(),
        "model_version": model.model_version(),
        "run_id": run_id,
        "verify_days": VERIFY_DAYS,
    }
    report = EmbedReport(model=params["model"], model_version=params["model_version"])
    covered = conn.execute(load_sql("embeddings/coverage_state"), params).fetchone()[0]
    conn.execute(load_sql("embeddings/drop_work_tables"))
    try:
        conn.execute(load_sql("embeddings/create_candidates"))
        conn.execute(load_sql("embeddings/create_staged"))
        conn.execute(load_sql("embeddings/candidates"), params)
        if coverage_batch and not covered:
            conn.execute(load_sql("embeddings/coverage_candidates"), params)
        _count(conn, report)
        dimensions = check_model_dimensions(conn, model) if report.embedded else None
        _encode_and_stage(conn, model, chunk_texts, report)
        ms_per_text = 1000 * report.encode_s / report.embedded if report.embedded else None
        report.stale = _write(
            conn, params | {"dimensions": dimensions, "ms_per_text": ms_per_text}, report.embedded
        )
    finally:
        conn.execute(load_sql("embeddings/drop_work_tables"))
    if covered:
        report.coverage_counted = "range"
        report.coverage_missing = conn.execute(
            load_sql("embeddings/coverage_range"), params).fetchone()[0]
    else:
        _, report.coverage_missing = coverage(
            conn, params["model_version"], event_types, last_partition
        )
    conn.execute(load_sql("embeddings/record_coverage"),
                 params | {"missing": report.coverage_missing, "full_count": not covered})
    return report


def coverage(
    conn: psycopg.Connection, model_version: str, event_types: list[str], last_day: str
) -> tuple[int, int]:
    """In-scope events with text up to the end of `last_day`, and those still without a vector
    of `model_version` for their current text."""
    return conn.execute(
        load_sql("embeddings/coverage"),
        {"model_version": model_version, "event_types": event_types, "last_day": last_day},
    ).fetchone()


def _count(conn: psycopg.Connection, report: EmbedReport) -> None:
    for action, events in conn.execute(load_sql("embeddings/candidate_counts")):
        report.candidates += events
        if action == "embed":
            report.embedded = events
        elif action == "unchanged":
            report.unchanged = events
        else:
            report.skipped[action] = events


def _encode_and_stage(
    conn: psycopg.Connection, model: EmbeddingModel, chunk_texts: int, report: EmbedReport
) -> None:
    """Encode the texts to embed chunk by chunk (bounded memory) and COPY each chunk's vectors."""
    after: uuid.UUID | None = None
    while True:
        rows = conn.execute(
            load_sql("embeddings/texts"), {"after": after, "chunk": chunk_texts}
        ).fetchall()
        if not rows:
            return
        ids = [row[0] for row in rows]
        encoded = model.encode([row[1] for row in rows])
        write_vectors(conn, _STAGED, ("event_id", "embedding"), ids, encoded.vectors)
        report.truncated += encoded.truncated
        report.encode_s += encoded.seconds
        after = ids[-1]


def _write(conn: psycopg.Connection, params: dict, expected: int) -> int:
    """Upsert vectors and metadata, drop vectors of emptied texts, record skips: one commit.
    Returns the vectors not written because their text changed since it was read."""
    with conn.transaction():
        lock_relation(conn, EMBEDDINGS_TABLE)
        written = {name: conn.execute(load_sql(name), params).rowcount for name in _WRITE_SQL}
        stale = written["embeddings/drop_stale_staged"]
        if written["embeddings/upsert"] + stale != expected:  # every text has one outcome
            raise RuntimeError(f"{expected} texts to embed but {written} rows written")
        if params["dimensions"]:
            # Fresh statistics let the planner pick the HNSW index for the next search.
            conn.execute(sql.SQL("analyze {}").format(sql.Identifier(*EMBEDDINGS_TABLE.split("."))))
    return stale


def ensure_index(
    conn: psycopg.Connection, m: int, ef_construction: int, build_memory: str
) -> IndexState:
    """Build the HNSW index once, when the table first holds vectors; report its options.

    An existing index is kept as it is, even if the config now asks for other options: a
    rebuild is a deliberate `drop index` (the options reported show what is in force).
    """
    with conn.transaction():
        lock_relation(conn, EMBEDDINGS_TABLE)
        row = conn.execute(load_sql("embeddings/index_options")).fetchone()
        if row is not None:
            return IndexState(created=False, options=row[0])
        if not conn.execute(load_sql("embeddings/has_vectors")).fetchone()[0]:
            return IndexState(created=False, options=None)
        conn.execute("select set_config('maintenance_work_mem', %s, true)", (build_memory,))
        conn.execute(
            compose(
                "embeddings/create_index",
                m=sql.Literal(int(m)),
                ef_construction=sql.Literal(int(ef_construction)),
            )
        )
        options = conn.execute(load_sql("embeddings/index_options")).fetchone()[0]
    return IndexState(created=True, options=options)
