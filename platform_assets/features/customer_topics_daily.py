"""`features/customer_topics_daily`: each customer's complaint-like events per topic, per day.

The view's rows come from `sql/features/customer_topics_daily.sql` like any other view's; what
sets it apart is that its topics come from a k-means fit of the notes' embeddings
(`platform_assets.embeddings.topics`), and that its table holds the rows of several fits side by
side (the view's variant, `fit_id`): the fit in force, which new datasets join, and every fit a
production model was trained on, which that model goes on reading. A new fit writes its own rows
from the first day it serves; no fit's rows are ever rewritten by another's. The fit, the
assignment of events and the rows of every live fit are one transaction under the view's lock.
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
CODE_VERSION = sql_version(VIEW.sql_name, *WRITE_SQL, *topics.FIT_SQL)


@dataclass(frozen=True)
class Written:
    """The days one fit's rows were written for."""

    fit: topics.FitRow
    first_day: str
    last_day: str
    rows: int
    assigned: int


@dataclass
class TopicReport:
    plan: topics.Plan | None  # None: too few days of notes for a first fit yet (`pending`)
    written: list[Written] = field(default_factory=list)  # the fit in force last
    scope: dict = field(default_factory=dict)
    pending: str | None = None

    @property
    def current(self) -> Written | None:
        return next((w for w in self.written if w.fit == self.plan.current), None)


def _days(fit: topics.FitRow, created: bool, first_day: str, last_day: str):
    """The days to write for `fit`: the range, from the day the fit serves; all of its days up
    to the range's end when the fit is new (a new version's history). None: nothing to write."""
    first = fit.serves_from.isoformat() if created else max(first_day, fit.serves_from.isoformat())
    return (first, last_day) if first <= last_day else None


def materialize_topics(
    conn: psycopg.Connection,
    settings: topics.TopicSettings,
    model_version: str,
    first_day: str,
    last_day: str,
    refit: bool = False,
    run_id: str | None = None,
) -> TopicReport:
    """Keep or make the fit, assign events and write the rows of every live fit: one
    transaction."""
    with conn.transaction():
        lock_relation(conn, VIEW.table)
        try:
            plan = topics.prepare(
                conn, settings, model_version, first_day, last_day, VIEW.name, refit
            )
        except topics.FitPending as pending:
            return TopicReport(None, pending=str(pending))
        report = TopicReport(plan)
        for fit in topics.live_fits(conn, plan.current, VIEW.name):
            assigned = topics.assign(conn, fit, first_day, last_day)
            days = _days(fit, plan.created and fit == plan.current, first_day, last_day)
            if days is None:
                continue
            first, rows, _ = write_with_late_changes(conn, VIEW, *days, run_id, fit.fit_id)
            report.written.append(Written(fit, first, days[1], rows, assigned))
        report.scope = topics.scope_counts(conn, plan.current, model_version, first_day, last_day)
    return report


def version(conn: psycopg.Connection, fit_id: str) -> str:
    """The view version `register` records: its SQL, schema, ttl and the topic fit."""
    return registry.view_version(conn, VIEW, variant=fit_id)


class TopicConfig(dg.Config):
    k: int = Field(default=MAX_TOPICS, ge=2, le=MAX_TOPICS, description="Number of topics.")
    seed: int = Field(default=0, description="k-means seed (the fit is reproducible).")
    event_types: list[str] = Field(
        default=list(TOPIC_EVENT_TYPES), description="Event types whose notes are clustered."
    )
    fit_days: int = Field(
        default=30, ge=1, le=365,
        description="Days of notes a first fit learns from, all before the first day it serves.",
    )
    refit: bool = Field(
        default=False,
        description="Make a new topic fit although the settings did not change (a new version "
        "beside the old one; no existing row changes).",
    )


_CHECKED = checked_view(VIEW)


def _pending(context, conn, postgres, reason: str, days, run_id: str) -> dg.MaterializeResult:
    """No fit can be made yet: nothing is written, and the (empty) range is checked as usual."""
    context.log.warning(f"{VIEW.table}: no rows written: {reason}")
    checks = _CHECKED.run(conn, postgres.url(), check_params(days.start, days.end),
                          partition_key=range_label(days), run_id=run_id)
    return dg.MaterializeResult(check_results=checks, metadata={
        "dagster/row_count": 0, "fit_id": "none yet", "waiting_for_first_fit": reason,
    })


def _check(conn, postgres, written: Written, partition_key: str, run_id: str):
    """Check one fit's days and record the outcome on each day's fingerprint (under the lock
    the caller holds since the write)."""
    fit_id = written.fit.fit_id
    checks = _CHECKED.run(
        conn, postgres.url(), check_params(written.first_day, written.last_day, fit_id),
        partition_key=partition_key, run_id=run_id, data_version=version(conn, fit_id),
    )
    record_day_checks(conn, VIEW, written.first_day, written.last_day, checks, run_id, fit_id)
    return checks


@daily_asset(
    key=keys.TOPICS_KEY,
    deps=[keys.EMBEDDINGS_KEY, keys.staging_key("customers"), keys.staging_key("service_events")],
    group_name=keys.FEATURES,
    kinds={"postgres", "scikitlearn"},
    owners=keys.ML_PLATFORM,
    code_version=CODE_VERSION,
    description=VIEW.description + " Topics are versions: a fit learns from a fixed window of "
    "notes before the first day it serves and stays in force until k/seed/the embedding model "
    "change; a new fit adds its own rows (fit_id) beside the old ones, never rewriting them, and "
    "a production model goes on reading the fit it was trained on. Entity key customer_id, ttl "
    f"{VIEW.ttl}; the latest row per customer of the fit in force is served by "
    f"{VIEW.latest_view}.",
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
        k=config.k, seed=config.seed, event_types=tuple(validate_event_types(config.event_types)),
        fit_days=config.fit_days,
    )
    run_id, label = context.run.run_id, range_label(days)
    model_version = embedding_model.model_version()
    with timed() as timing, postgres.connect() as conn, holding_relation(conn, VIEW.table):
        report = materialize_topics(
            conn, settings, model_version, days.start, days.end, config.refit, run_id
        )
        if report.plan is None:
            return _pending(context, conn, postgres, report.pending, days, run_id)
        results: dict[str, list[dg.AssetCheckResult]] = {}
        versions: dict[str, str] = {}
        for written in report.written:  # the fit in force last: registered last, it is current
            checks = _check(conn, postgres, written, label, run_id)
            results[written.fit.fit_id] = checks
            versions[written.fit.fit_id] = registry.register(
                conn, VIEW, CODE_VERSION, quality_score(checks), variant=written.fit.fit_id
            )
        current = report.plan.current
        summary = conn.execute(
            load_sql("embeddings/topics_summary"), {"fit_id": current.fit_id}
        ).fetchall()
        schema = table_schema(conn, "features", VIEW.name)
        sample = preview(conn, sql.SQL(load_sql(f"{VIEW.sql_name}_preview")),
                         {"last_day": days.end, "fit_id": current.fit_id})
    written_now = report.current
    checks = results.get(current.fit_id, [])
    others = [w for w in report.written if w.fit != current]
    failed_elsewhere = sorted(
        f"{fit_id}: {r.check_name}" for fit_id, rs in results.items() if fit_id != current.fit_id
        for r in rs if not r.passed
    )
    if report.plan.waiting_for:
        context.log.warning(
            f"embedding model {model_version} differs from the topic fit's "
            f"({current.model_version}): {report.plan.waiting_for} notes still lack its vectors; "
            "the fit in force stays until they are embedded, and counts only notes it has a "
            "vector of"
        )
    context.log.info(
        f"{VIEW.table}: fit {current.fit_id} ({'new' if report.plan.created else 'in force'}), "
        + "; ".join(f"{w.fit.fit_id}: {w.rows} rows for {w.first_day}..{w.last_day}"
                    for w in report.written)
    )
    return dg.MaterializeResult(
        check_results=checks,
        metadata={
            "dagster/row_count": sum(w.rows for w in report.written),
            "dagster/column_schema": schema,
            "quality_score": quality_score(checks),
            "view_version": versions.get(current.fit_id),
            "fit_id": current.fit_id,
            "new_fit": report.plan.created,
            "fit_texts": report.plan.fit_texts,
            "fit_window": f"{current.fit_from}..{current.serves_from} (exclusive)",
            "days_written": f"{written_now.first_day}..{written_now.last_day}"
            if written_now else "none (the fit serves later days)",
            "fits_kept_for_production": ", ".join(w.fit.fit_id for w in others) or "none",
            "checks_failed_on_kept_fits": ", ".join(failed_elsewhere) or "none",
            "waiting_for_embeddings": report.plan.waiting_for,
            "events_assigned_changed": sum(w.assigned for w in report.written),
            **{f"scope_{name}": value for name, value in report.scope.items()},
            "topics": markdown(summary, ["topic_id", "label", "size"]),
            "preview": sample,
            "duration_s": timing["duration_s"],
        },
    )
