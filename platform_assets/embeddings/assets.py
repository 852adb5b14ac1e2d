"""Embedding assets: `embeddings/service_event_embeddings` and `features/customer_topics_daily`.

Both are daily-partitioned and backfilled as one run over the whole range, like ingest and the
feature views. The embedding asset is incremental by content (md5 of the note, model and
model_version), so re-running a partition costs a query, not a model pass.
"""

import hashlib

import dagster as dg
from psycopg import sql
from pydantic import Field

from platform_assets.db.sql import load_sql
from platform_assets.embeddings import store, topics
from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.embeddings.scope import (
    EMBEDDED_EVENT_TYPES,
    EMBEDDINGS_KEY,
    TOPIC_EVENT_TYPES,
    TOPICS_KEY,
    validate_event_types,
)
from platform_assets.embeddings.views import CUSTOMER_TOPICS_DAILY, MAX_TOPICS
from platform_assets.features.checks import check_params, relation, view_checks
from platform_assets.metadata import markdown, preview, table_schema, timed
from platform_assets.partitions import daily_asset
from platform_assets.quality import check_specs, quality_score, run_checks
from platform_assets.resources import PostgresResource

GROUP = "embeddings"
OWNERS = ["team:ml-platform"]
_MEMORY = r"^[1-9][0-9]{0,5}(kB|MB|GB)$"


def _code_version(*names: str) -> str:
    digest = hashlib.sha256()
    for name in names:
        digest.update(load_sql(name).encode())
    return digest.hexdigest()[:12]


def _range_label(keys: dg.PartitionKeyRange) -> str:
    return keys.start if keys.start == keys.end else f"{keys.start}..{keys.end}"


# --- embeddings/service_event_embeddings ------------------------------------------------------


class EmbeddingConfig(dg.Config):
    event_types: list[str] = Field(
        default=list(EMBEDDED_EVENT_TYPES),
        description="Event types whose notes are embedded (default: all but routine pickups).",
    )
    chunk_texts: int = Field(
        default=4096, ge=64, le=100_000, description="Texts encoded and staged per chunk."
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
    key=EMBEDDINGS_KEY,
    deps=[dg.AssetKey(["staging", "service_events"])],
    group_name=GROUP,
    kinds={"postgres", "pytorch"},
    owners=OWNERS,
    code_version=_code_version(*store.SQL_NAMES),
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
    keys = context.partition_key_range
    event_types = validate_event_types(config.event_types)
    with timed() as timing, postgres.connect() as conn:
        report = store.embed_range(
            conn, embedding_model, keys.start, keys.end, event_types,
            run_id=context.run.run_id, chunk_texts=config.chunk_texts,
        )
        index = store.ensure_index(
            conn, config.hnsw_m, config.hnsw_ef_construction, config.index_build_memory
        )
        total = conn.execute("select count(*) from vectors.service_event_embeddings").fetchone()
        schema = table_schema(conn, "vectors", "service_event_embeddings")
        sample = preview(
            conn,
            sql.SQL(load_sql("embeddings/preview")),
            {"first_partition": keys.start, "last_partition": keys.end},
        )
    context.log.info(
        f"{_range_label(keys)}: {report.candidates} candidates, {report.embedded} embedded, "
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


# --- features/customer_topics_daily -------------------------------------------------------------


class TopicConfig(dg.Config):
    k: int = Field(default=MAX_TOPICS, ge=2, le=MAX_TOPICS, description="Number of topics.")
    seed: int = Field(default=0, description="k-means seed (the fit is reproducible).")
    event_types: list[str] = Field(
        default=list(TOPIC_EVENT_TYPES), description="Event types whose notes are clustered."
    )
    refit: bool = Field(
        default=False,
        description="Fit the topics again although the settings did not change (rewrites every "
        "materialized day of the view).",
    )


_TOPIC_SQL = (
    topics.VIEW_SQL, "embeddings/topic_fit_inputs", "embeddings/assign_topics",
    "embeddings/drop_stale_topics", "features/clear_partitions", "features/write_partitions",
    "features/late_start", "features/mark_late_applied",
)


@daily_asset(
    key=TOPICS_KEY,
    deps=[
        dg.AssetKey(EMBEDDINGS_KEY),
        dg.AssetKey(["staging", "customers"]),
        dg.AssetKey(["staging", "service_events"]),
    ],
    group_name="features",
    kinds={"postgres", "scikitlearn"},
    owners=OWNERS,
    code_version=_code_version(*_TOPIC_SQL),
    description=CUSTOMER_TOPICS_DAILY.description + " The topic model is fitted once on the "
    "notes before the end of the first range materialized and then frozen, so a topic column "
    "means the same in every row; a changed k/seed/model refits and rewrites every day. "
    f"Entity key customer_id, ttl {CUSTOMER_TOPICS_DAILY.ttl}; the latest row per customer is "
    f"served by {CUSTOMER_TOPICS_DAILY.latest_view}.",
    tags={"entity": CUSTOMER_TOPICS_DAILY.entity},
    check_specs=check_specs(dg.AssetKey(TOPICS_KEY), view_checks(CUSTOMER_TOPICS_DAILY)),
)
def customer_topics_daily(
    context: dg.AssetExecutionContext,
    config: TopicConfig,
    postgres: PostgresResource,
    embedding_model: EmbeddingModel,
) -> dg.MaterializeResult:
    keys = context.partition_key_range
    view = CUSTOMER_TOPICS_DAILY
    settings = topics.TopicSettings(
        k=config.k, seed=config.seed, event_types=tuple(validate_event_types(config.event_types))
    )
    with timed() as timing, postgres.connect() as conn:
        report = topics.materialize_topics(
            conn, settings, embedding_model.model_version(), keys.start, keys.end, config.refit
        )
        label = _range_label(keys)
        checks = run_checks(
            conn, postgres.url(), dg.AssetKey(TOPICS_KEY), relation(view),
            check_params(report.first_day, report.last_day), view_checks(view),
            partition_key=label, run_id=context.run.run_id,
            data_version=topics.version(conn, report.fit_id),
        )
        score = quality_score(checks)
        version = topics.register(conn, report.fit_id, _code_version(*_TOPIC_SQL), score)
        summary = conn.execute(load_sql("embeddings/topics_summary")).fetchall()
        schema = table_schema(conn, "features", view.name)
        sample = preview(
            conn, sql.SQL(load_sql("embeddings/topic_preview")), {"last_day": keys.end}
        )
    context.log.info(
        f"{view.table}: {report.rows} rows for {report.first_day}..{report.last_day}, fit "
        f"{report.fit_id} ({'new' if report.refitted else 'reused'})"
    )
    return dg.MaterializeResult(
        check_results=checks,
        metadata={
            "dagster/row_count": report.rows,
            "dagster/column_schema": schema,
            "quality_score": score,
            "view_version": version,
            "fit_id": report.fit_id,
            "refitted": report.refitted,
            "fit_texts": report.fit_texts,
            "days_written": f"{report.first_day}..{report.last_day}",
            "events_assigned_changed": report.assigned,
            **{f"scope_{name}": value for name, value in report.scope.items()},
            "topics": markdown(summary, ["topic_id", "label", "size"]),
            "preview": sample,
            "duration_s": timing["duration_s"],
        },
    )


embedding_assets = [service_event_embeddings]
topic_assets = [customer_topics_daily]
