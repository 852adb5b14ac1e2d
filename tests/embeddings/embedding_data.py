"""Small simulated histories for the embedding tests, built once per session and cloned per test.

Ingest and the first embedding pass cost seconds; a database cloned from a finished one costs
milliseconds, so each test still gets its own database without paying for the build again.
"""

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import psycopg
from testkit import END_DATE, create_database

from platform_assets.embeddings.assets import embedding_assets
from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.ingest.assets import ingest_assets
from platform_assets.ingest.source import source_extent
from platform_assets.partitions import range_tags
from platform_assets.resources import PostgresResource
from platform_assets.simulator import simulate
from platform_assets.simulator.load import simulation_params, write_ops

CUSTOMERS, DAYS, SEED = 100, 120, 5
# Texts that must survive the trip intact: quotes, emoji, SQL in the text, non-Latin scripts.
TRICKY_TEXT = (
    "Customer wrote: \"it's broken\" 🗑️🔥 '; DROP TABLE vectors.service_event_embeddings; -- "
    "Straße Ōsaka 東京 ¿qué?"
)


def materialize(url: str, assets, first: str, last: str, model=None, config=None):
    """One run over [first, last] with real resources and an ephemeral instance."""
    return dg.materialize(
        assets,
        tags=range_tags(first, last),
        resources={
            "postgres": PostgresResource(database_url=url),
            "embedding_model": model or EmbeddingModel(),
        },
        run_config={"ops": config} if config else None,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


STAGED = "embeddings_staged"  # the history in staging, nothing embedded
EMBEDDED = "embeddings_embedded"  # the same, every note embedded
_BUILT: dict[str, tuple[str, str]] = {}  # template name -> (first, last) partition


def staged_template(server_url: str, migrated: str) -> tuple[str, str]:
    """Build (once per session) the template holding the history in staging; its partitions."""
    if STAGED not in _BUILT:
        _, first, last = build_history(server_url, migrated, STAGED)
        _BUILT[STAGED] = first, last
    return _BUILT[STAGED]


def embedded_template(server_url: str, migrated: str) -> tuple[str, str]:
    """Build (once per session) the template holding the history with every note embedded."""
    if EMBEDDED not in _BUILT:
        first, last = staged_template(server_url, migrated)
        embed_all(create_database(server_url, EMBEDDED, template=STAGED), first, last)
        _BUILT[EMBEDDED] = first, last
    return _BUILT[EMBEDDED]


def build_history(server_url: str, template: str, name: str) -> tuple[str, str, str]:
    """A migrated database holding a small simulated history ingested into staging."""
    url = create_database(server_url, name, template=template)
    end = date.fromisoformat(END_DATE)
    with psycopg.connect(url, autocommit=True) as conn:
        tables = simulate(CUSTOMERS, DAYS, SEED, end, dirty_fraction=0.0)
        write_ops(conn, tables, simulation_params(CUSTOMERS, DAYS, SEED, end))
        first, last = source_extent(conn)
    result = materialize(url, ingest_assets, first, last)
    assert result.success
    return url, first, last


def embed_all(url: str, first: str, last: str) -> None:
    result = materialize(url, embedding_assets, first, last)
    assert result.success


def clone(server_url: str, template: str) -> str:
    return create_database(server_url, f"t_{uuid.uuid4().hex[:12]}", template=template)


def add_event(
    conn: psycopg.Connection,
    description: str | None,
    *,
    event_type: str = "complaint",
    org: uuid.UUID | None = None,
    customer: uuid.UUID | None = None,
    day: str = "2026-06-01",
    partition_key: str | None = None,
) -> uuid.UUID:
    """Insert one event straight into staging (as ingest would have staged it); return its id."""
    event_id = uuid.uuid4()
    if org is None:
        org = conn.execute("select id from staging.organizations order by id limit 1").fetchone()[0]
    stamp = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
    conn.execute(
        "insert into staging.service_events (id, organization_id, customer_id, event_type,"
        " service_date, description, created_at, updated_at, partition_key, load_id, staged_at)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'test', now())",
        (event_id, org, customer, event_type, stamp, description, stamp, stamp,
         partition_key or day),
    )
    return event_id


def projected_model(directory: Path, dims: int) -> Path:
    """A real local model of another dimension: MiniLM followed by a Dense projection."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense

    base = SentenceTransformer(str(EmbeddingModel().path()), device="cpu", local_files_only=True)
    projected = SentenceTransformer(modules=[*base, Dense(384, dims)], device="cpu")
    projected.save(str(directory))
    return directory


def event_counts(result, key: str = "embeddings__service_event_embeddings") -> dict:
    """The materialization's metadata values by name."""
    metadata = result.asset_materializations_for_node(key)[0].metadata
    return {name: getattr(value, "value", value) for name, value in metadata.items()}
