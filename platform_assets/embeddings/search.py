"""Semantic search over service-event notes: a text in, the k nearest events out.

The query text is embedded with the same model as the stored vectors and matched by cosine
distance through the HNSW index. Filters (organization, event type, since) are applied while the
index is scanned: pgvector's iterative scan keeps walking the graph until k rows pass them, and
when a filter is too selective even for that, the search falls back to an exact scan of the
filtered rows, so a filter never silently returns fewer than k rows that exist.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import psycopg
from psycopg import sql

from platform_assets.db.sql import compose
from platform_assets.embeddings.model import EmbeddingModel, dimension_error
from platform_assets.embeddings.scope import EMBEDDING_COLUMN, EMBEDDINGS_TABLE, EVENT_TYPES
from platform_assets.embeddings.store import column_dimensions

SNIPPET_CHARS = 120
DEFAULT_EF_SEARCH = 40
DEFAULT_MAX_SCAN_TUPLES = 20_000  # pgvector's default: the index scan's budget per query

# Filter fragments by name: code constants, so the composed SQL never contains input.
_FILTERS = {
    "org": sql.SQL("and e.organization_id = %(org)s"),
    "event_type": sql.SQL("and e.event_type = %(event_type)s"),
    "since": sql.SQL("and e.service_date >= %(since)s"),
}


@dataclass(frozen=True)
class Hit:
    event_id: uuid.UUID
    distance: float
    event_type: str
    service_date: datetime
    snippet: str


def search(
    conn: psycopg.Connection,
    model: EmbeddingModel,
    text: str,
    k: int = 10,
    org: uuid.UUID | str | None = None,
    event_type: str | None = None,
    since: date | datetime | None = None,
    ef_search: int = DEFAULT_EF_SEARCH,
    max_scan_tuples: int = DEFAULT_MAX_SCAN_TUPLES,
) -> list[Hit]:
    """The k events whose notes are nearest in meaning to `text`, nearest first."""
    if not text or not text.strip():
        raise ValueError("search text is empty")
    vector = model.encode([text]).vectors[0]
    return search_vector(
        conn, vector, model.name(), k, org, event_type, since, ef_search, max_scan_tuples,
        model_version=model.model_version(),
    )


def search_vector(
    conn: psycopg.Connection,
    vector: np.ndarray | Sequence[float],
    model_name: str,
    k: int = 10,
    org: uuid.UUID | str | None = None,
    event_type: str | None = None,
    since: date | datetime | None = None,
    ef_search: int = DEFAULT_EF_SEARCH,
    max_scan_tuples: int = DEFAULT_MAX_SCAN_TUPLES,
    model_version: str | None = None,
) -> list[Hit]:
    """Like `search`, for a query vector computed elsewhere (by the model named `model_name`).
    While a new model version fills in beside the old one, `model_version` picks the vectors
    of the query's own space (unset: every version of the model)."""
    _check_arguments(k, event_type, ef_search, max_scan_tuples)
    values = np.asarray(vector, dtype=np.float32).ravel()
    expected = column_dimensions(conn, EMBEDDINGS_TABLE, EMBEDDING_COLUMN)
    if len(values) != expected:
        raise dimension_error(
            "the query vector", len(values), f"{EMBEDDINGS_TABLE}.{EMBEDDING_COLUMN}", expected
        )
    given = {"org": org, "event_type": event_type, "since": _utc(since)}
    active = [name for name, value in given.items() if value is not None]
    filters = sql.SQL(" ").join(_FILTERS[name] for name in active)
    params = given | {
        "query": _vector_text(values),
        "model": model_name,
        "model_version": model_version,
        "k": k,
        "snippet": SNIPPET_CHARS,
    }
    with conn.transaction():
        _scan_settings(conn, ef_search, max_scan_tuples)
        rows = conn.execute(compose("embeddings/search", filters=filters), params).fetchall()
    if len(rows) < k and active:
        rows = conn.execute(compose("embeddings/search_exact", filters=filters), params).fetchall()
    return [Hit(*row) for row in rows]


def _check_arguments(k: int, event_type: str | None, ef_search: int, max_scan_tuples: int):
    if not 1 <= k <= 1000:
        raise ValueError(f"k must be in [1, 1000], got {k}")
    if event_type is not None and event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}: one of {list(EVENT_TYPES)}")
    if not 1 <= ef_search <= 1000:
        raise ValueError(f"ef_search must be in [1, 1000] (pgvector's range), got {ef_search}")
    if max_scan_tuples < 1:
        raise ValueError(f"max_scan_tuples must be positive, got {max_scan_tuples}")


def _utc(since: date | datetime | None) -> datetime | None:
    """A date means its start in UTC, like every day boundary of the platform."""
    if since is None or isinstance(since, datetime):
        return since
    return datetime(since.year, since.month, since.day, tzinfo=UTC)


def _scan_settings(conn: psycopg.Connection, ef_search: int, max_scan_tuples: int) -> None:
    """Per-query index settings, local to the search's transaction (values bound)."""
    conn.execute(
        "select set_config('hnsw.ef_search', %s, true),"
        " set_config('hnsw.iterative_scan', 'relaxed_order', true),"
        " set_config('hnsw.max_scan_tuples', %s, true)",
        (str(ef_search), str(max_scan_tuples)),
    )


def _vector_text(values: np.ndarray) -> str:
    """pgvector's text form; float32 -> Python float -> shortest repr round-trips exactly."""
    return "[" + ",".join(map(repr, values.tolist())) + "]"


def format_hits(hits: Sequence[Hit]) -> str:
    """A plain table for a terminal: rank, distance, type, date, event id and the note."""
    if not hits:
        return "no matching events"
    lines = [f"{'#':>3}  {'distance':>8}  {'event_type':<15} {'date':<10}  event_id / note"]
    for rank, hit in enumerate(hits, 1):
        lines.append(
            f"{rank:>3}  {hit.distance:>8.4f}  {hit.event_type:<15} "
            f"{hit.service_date:%Y-%m-%d}  {hit.event_id}"
        )
        lines.append(f"{'':>3}  {' '.join(hit.snippet.split())}")
    return "\n".join(lines)

