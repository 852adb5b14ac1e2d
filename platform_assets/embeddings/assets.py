"""`embeddings/service_event_embeddings`: sentence embeddings of service-event notes.

Daily-partitioned and backfilled as one run over the whole range, like ingest and the feature
views (the topic features built on them are `features/customer_topics_daily`). The asset is
incremental by content (md5 of the note, model and model_version), so re-running a partition
costs a query, not a model pass.
"""

import dagster as dg
from psycopg import sql
from pydantic import Field

from platform_assets import keys
from platform_assets.db.sql import load_sql, sql_version
from platform_assets.embeddings import store
from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.embeddings.scope import EMBEDDED_EVENT_TYPES, validate_event_types
from platform_assets.metadata import markdown, preview, table_schema, timed
from platform_assets.partitions import daily_asset, range_label
from platform_assets.resources import PostgresResource

_MEMORY = r"^[1-9][0-9]{0,5}(kB|MB|GB)$"


# --- embeddings/service_event_embeddings ------------------------------------------------------


class EmbeddingConfig(dg.Config):
    event_types: list[str] = Field(
        default=list(EMBEDDED_EVENT_TYPES),
        description="Event types whose notes are embedded (default: all but routine pickups).",
    )
    chunk_texts: int = Field(
        default=4096, ge=64, le=100_000, description="Texts encoded and staged per chunk."
    )
    coverage_batch: int = Field(
        default=50_000, ge=0, le=10_000_000,
        description="Older in-scope notes without a vector of the current model version embedded "
        "per run besides the range's (a model upgrade fills in over the nightly runs; 0: none).",
    )
    hnsw_m: int = Field(default=16, ge=2, le=100, description="HNSW graph degree.")
    hnsw_ef_construction: int = Field(
        default=64, ge=4, le=1000, description="HNSW build candidate list size."
    )
    index_build_memory: str = Field(
        default="512MB",
        pattern=_MEMORY,
        description="maintenance_work_mem for the one-off HNSW build (the graph builds fastest "
        "when it fits in memory).",
    )


def _embedding_metadata(report: store.EmbedReport, index: store.IndexState, model, duration):
    return {
        "candidates": report.candidates,
        "embedded": report.embedded,
        "skipped_unchanged": report.unchanged,
        "skipped_text": sum(report.skipped.values()),
        "skipped_by_reason": markdown(sorted(report.skipped.items()), ["reason", "events"]),
        "truncated": report.truncated,
        "stale_not_written": report.stale,
        "coverage_missing": report.coverage_missing,
        "coverage_counted_over": report.coverage_counted,
        "texts_per_s": report.texts_per_s,
        "encode_s": round(report.encode_s, 3),
        "model": report.model,
        "model_version": report.model_version,
        "device": model.device,
        "batch_size": model.batch_size,
        "max_chars": model.max_chars,
        "index_created": index.created,
        "index_options": ", ".join(index.options or ["(no index yet)"]),
        "duration_s": duration,
    }


@daily_asset(
    key=keys.EMBEDDINGS_KEY,
    deps=[keys.staging_key("service_events")],
    group_name=keys.EMBEDDINGS,
    kinds={"postgres", "pytorch"},
    owners=keys.ML_PLATFORM,
    code_version=sql_version(*store.SQL_NAMES),
    description="Sentence embeddings (all-MiniLM-L6-v2, 384 dims, cosine HNSW index) of the "
    "descriptions of service events changed in each partition. Routine pickup notes (~85% of "
    "events, 'emptied the bin at ...') are not embedded: nobody searches them. A note is "
    "embedded again only when its text (md5), the model or the model_version changes; empty "
    "texts are listed in vectors.skipped_texts with the reason.",
)
def service_event_embeddings(
    context: dg.AssetExecutionContext,
    config: EmbeddingConfig,
    postgres: PostgresResource,
    embedding_model: EmbeddingModel,
) -> dg.MaterializeResult:
    days = context.partition_key_range
    event_types = validate_event_types(config.event_types)
    with timed() as timing, postgres.connect() as conn:
        report = store.embed_range(
            conn, embedding_model, days.start, days.end, event_types,
            run_id=context.run.run_id, chunk_texts=config.chunk_texts,
            coverage_batch=config.coverage_batch,
        )
        index = store.ensure_index(
            conn, config.hnsw_m, config.hnsw_ef_construction, config.index_build_memory
        )
        total = conn.execute("select count(*) from vectors.service_event_embeddings").fetchone()
        schema = table_schema(conn, "vectors", "service_event_embeddings")
        sample = preview(
            conn,
            sql.SQL(load_sql("embeddings/preview")),
            {"first_partition": days.start, "last_partition": days.end},
        )
    context.log.info(
        f"{range_label(days)}: {report.candidates} candidates, {report.embedded} embedded, "
        f"{report.unchanged} unchanged, skipped {report.skipped}, {report.truncated} truncated"
        f" ({report.texts_per_s} texts/s)"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": total[0],
            "dagster/column_schema": schema,
            **_embedding_metadata(report, index, embedding_model, timing["duration_s"]),
            "preview": sample,
        }
    )


embedding_assets = [service_event_embeddings]
