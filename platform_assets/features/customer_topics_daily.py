"""`features/customer_topics_daily`: each customer's complaint-like events per topic, per day.

The view's rows come from `sql/features/customer_topics_daily.sql` like any other view's; what
sets it apart is that its topics come from a k-means fit of the notes' embeddings
(`platform_assets.embeddings.topics`). The fit, the assignment of events and the rows are one
transaction under the view's lock, so every row counts the topics of one fit. A fit is made once
and frozen; a changed k/seed/event types/model version (or `refit=True`) fits again and rewrites
every day the view holds.
"""

from dataclasses import dataclass, field

import dagster as dg
import psycopg
from psycopg import sql
from pydantic import Field

from platform_assets import keys
from platform_assets.db.locks import holding_relation, lock_relation
from platform_assets.db.sql import load_sql, sql_version
from platform_assets.embeddings import topics
from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.embeddings.scope import MAX_TOPICS, TOPIC_EVENT_TYPES, validate_event_types
from platform_assets.features import registry
from platform_assets.features.assets import WRITE_SQL
from platform_assets.features.checks import check_params, checked_view
from platform_assets.features.late import record_day_checks, write_with_late_changes
from platform_assets.features.views import CUSTOMER_TOPICS_DAILY
from platform_assets.metadata import markdown, preview, table_schema, timed
from platform_assets.partitions import daily_asset, range_label
from platform_assets.quality import quality_score
from platform_assets.resources import PostgresResource

VIEW = CUSTOMER_TOPICS_DAILY
CODE_VERSION = sql_version(VIEW.sql_name, f"{VIEW.sql_name}_extent", *WRITE_SQL, *topics.FIT_SQL)


@dataclass
class TopicReport:
    fit_id: str
    refitted: bool
    fit_texts: int | None  # texts the fit used (None: the frozen fit was reused)
    first_day: str  # the days written (wider than the range after a refit)
    last_day: str
    rows: int = 0
    assigned: int = 0
    scope: dict = field(default_factory=dict)


def _days_to_write(conn, first_day: str, last_day: str, refitted: bool) -> tuple[str, str]:
    """The range itself, or after a refit every day the table holds as well."""
    if not refitted:
        return first_day, last_day
    held_first, held_last = conn.execute(load_sql(f"{VIEW.sql_name}_extent")).fetchone()
    if held_first is None:
        return first_day, last_day
    return min(first_day, held_first.isoformat()), max(last_day, held_last.isoformat())


def materialize_topics(
    conn: psycopg.Connection,
    settings: topics.TopicSettings,
    model_version: str,
    first_day: str,
    last_day: str,
    refit: bool = False,
    run_id: str | None = None,
) -> TopicReport:
    """Fit (or reuse) the topics, assign events, write the feature rows: one transaction."""
    with conn.transaction():
        lock_relation(conn, VIEW.table)
        fit = topics.fit_and_assign(conn, settings, model_version, last_day, refit)
        first, last = _days_to_write(conn, first_day, last_day, fit.refitted)
        first, rows, _ = write_with_late_changes(conn, VIEW, first, last, run_id)
        scope = topics.scope_counts(conn, settings, model_version, last_day)
    return TopicReport(fit.fit_id, fit.refitted, fit.fit_texts, first, last, rows=rows,
                       assigned=fit.assigned, scope=scope)


def version(conn: psycopg.Connection, fit_id: str) -> str:
    """The view version `register` records: its SQL, schema, ttl and the topic fit."""
    return registry.view_version(conn, VIEW, extra=fit_id)


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


_CHECKED = checked_view(VIEW)


@daily_asset(
    key=keys.TOPICS_KEY,
    deps=[keys.EMBEDDINGS_KEY, keys.staging_key("customers"), keys.staging_key("service_events")],
    group_name=keys.FEATURES,
    kinds={"postgres", "scikitlearn"},
    owners=keys.ML_PLATFORM,
    code_version=CODE_VERSION,
    description=VIEW.description + " The topic model is fitted once on the notes before the end "
    "of the first range materialized and then frozen, so a topic column means the same in every "
    "row; a changed k/seed/model refits and rewrites every day. Entity key customer_id, ttl "
    f"{VIEW.ttl}; the latest row per customer is served by {VIEW.latest_view}.",
    tags={"entity": VIEW.entity},
    check_specs=_CHECKED.specs(),
)
def customer_topics_daily(
    context: dg.AssetExecutionContext,
    config: TopicConfig,
    postgres: PostgresResource,
    embedding_model: EmbeddingModel,
) -> dg.MaterializeResult:
    days = context.partition_key_range
    settings = topics.TopicSettings(
        k=config.k, seed=config.seed, event_types=tuple(validate_event_types(config.event_types))
    )
    run_id = context.run.run_id
    with timed() as timing, postgres.connect() as conn, holding_relation(conn, VIEW.table):
        report = materialize_topics(
            conn, settings, embedding_model.model_version(), days.start, days.end, config.refit,
            run_id,
        )
        checks = _CHECKED.run(
            conn, postgres.url(), check_params(report.first_day, report.last_day),
            partition_key=range_label(days), run_id=run_id,
            data_version=version(conn, report.fit_id),
        )
        record_day_checks(conn, VIEW, report.first_day, report.last_day, checks, run_id)
        score = quality_score(checks)
        view_version = registry.register(conn, VIEW, CODE_VERSION, score, extra=report.fit_id)
        summary = conn.execute(load_sql("embeddings/topics_summary")).fetchall()
        schema = table_schema(conn, "features", VIEW.name)
        sample = preview(
            conn, sql.SQL(load_sql(f"{VIEW.sql_name}_preview")), {"last_day": days.end}
        )
    context.log.info(
        f"{VIEW.table}: {report.rows} rows for {report.first_day}..{report.last_day}, fit "
        f"{report.fit_id} ({'new' if report.refitted else 'reused'})"
    )
    return dg.MaterializeResult(
        check_results=checks,
        metadata={
            "dagster/row_count": report.rows,
            "dagster/column_schema": schema,
            "quality_score": score,
            "view_version": view_version,
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
