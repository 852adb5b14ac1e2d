"""Sensors that raise alerts: a failed run of this code location, the registry's blocked
gate decisions and rollbacks (read from ml.audit_log, so that a rollback made from the CLI,
outside any run, alerts too), failed blocking checks, missed freshness deadlines, and drift over
its threshold (read from the daily drift statistics)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
from dagster._utils.schedules import reverse_cron_string_iterator

from platform_assets.alerts.resource import (
    CHECK_FAILURE,
    DRIFT,
    FRESHNESS,
    GATE_BLOCKED,
    ROLLBACK,
    RUN_FAILURE,
    Alert,
    AlertsResource,
)
from platform_assets.db import server
from platform_assets.db.sql import load_sql
from platform_assets.resources import PostgresResource

RUN_FAILURE_ALERT = "run_failure_alert"
REGISTRY_ALERTS = "registry_alerts"
CHECK_FAILURE_ALERTS = "check_failure_alerts"
FRESHNESS_ALERTS = "freshness_alerts"
DRIFT_ALERTS = "drift_alerts"
DRIFT_RECENT_DAYS = 7  # drift on older days (a backfill of history) is recorded, not alerted
_LATE_LISTED = 20
# Aggregates a check observed; never its samples (unexpected_sample, unexpected_rows: row values).
_COUNTS = ("observed_value", "unexpected_count", "unexpected_percent", "element_count")
_ERROR_CHARS = 300


def first_line(text: str | None) -> str:
    """The first non-empty line of an error, URLs' passwords masked, cut to a few hundred
    characters: the message names what failed; row values, if any, follow on later lines."""
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return server.redact(line)[:_ERROR_CHARS]


def step_error(event: dg.DagsterEvent) -> str:
    """The user code's own error of a failed step: Dagster wraps it, so the innermost cause."""
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None and error.cause is not None:
        error = error.cause
    return first_line(error.message if error else event.message)


def run_failure_alert_for(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> Alert:
    run = context.dagster_run
    failures = [e for e in context.get_step_failure_events() if e.step_key]
    steps = sorted({e.step_key for e in failures})
    error = step_error(failures[0]) if failures else first_line(context.failure_event.message)
    subject = f"[platform] run failed: {run.job_name} ({', '.join(steps) or 'no step'})"
    partition = run.tags.get("dagster/partition")
    body = "\n".join(filter(None, [
        f"Job: {run.job_name}",
        f"Run: {run.run_id}",
        f"Partition: {partition}" if partition else None,
        f"Failed steps: {', '.join(steps) or 'none (the run failed outside a step)'}",
        f"Error: {error}",
        f"Link: {alerts.run_url(run.run_id)}",
    ]))
    # One open condition per job and failed steps: a re-run failing the same way the same day
    # is recorded, not sent again.
    return Alert(RUN_FAILURE, "critical", f"{run.job_name}:{','.join(steps)}", subject, body)


@dg.run_failure_sensor(
    name=RUN_FAILURE_ALERT,
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends an alert for every failed run of this code location (the failed steps, "
    "the error's first line and a link to the run) and records it in monitoring.alerts.",
)
def run_failure_alert(
    context: dg.RunFailureSensorContext, postgres: PostgresResource, alerts: AlertsResource
):
    alert = run_failure_alert_for(context, alerts)
    with postgres.connect() as conn:
        deliveries = alerts.send(conn, alert, run_id=context.dagster_run.run_id)
    for delivery in deliveries:
        context.log.info(f"alert {delivery.id} {delivery.status}: {delivery.destination}")


def registry_alert(
    kind: str, condition_key: str, actor: str, run_id: str | None, params: dict, result: dict,
    alerts: AlertsResource,
) -> Alert:
    """The alert for one audit event: model names, versions and rule names, no values."""
    name = params.get("model_name")
    link = [f"Link: {alerts.run_url(run_id)}"] if run_id else []
    if kind == GATE_BLOCKED:
        version, rules = params.get("model_version"), result.get("failed_rules") or []
        subject = f"[platform] gate blocked {name} v{version}: {', '.join(rules)}"
        lines = [f"Model: {name} v{version}", f"Failed rules: {', '.join(rules)}",
                 f"Decided by: {actor}", *link,
                 f"Details (observed vs threshold): platform-assets models show {name}"]
        return Alert(GATE_BLOCKED, "warning", condition_key, subject, "\n".join(lines))
    before, after = params.get("from_version"), params.get("to_version")
    subject = f"[platform] rollback of {name}: v{before} -> v{after}"
    lines = [f"Model: {name}", f"Rolled back: v{before}", f"Production again: v{after}",
             f"By: {actor}", *link]
    return Alert(ROLLBACK, "critical", condition_key, subject, "\n".join(lines))


@dg.sensor(
    name=REGISTRY_ALERTS,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends an alert for every blocked gate decision and every rollback logged in "
    "ml.audit_log (by a run or the CLI) and records it in monitoring.alerts.",
)
def registry_alerts(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, alerts: AlertsResource
):
    sent = 0
    with postgres.connect() as conn:
        for kind, key, actor, run_id, params, result, _ in conn.execute(
            load_sql("alerts/registry_events")
        ).fetchall():
            alert = registry_alert(kind, key, actor, run_id, params, result, alerts)
            for delivery in alerts.send(conn, alert, run_id=run_id):
                context.log.info(f"alert {delivery.id} {delivery.status}: {delivery.destination}")
            sent += 1
    return dg.SkipReason(f"{sent} registry events alerted" if sent else "no new registry events")


def expectation_line(fact: dict) -> str:
    """`expect_x(thresholds): observed counts` for one failed expectation; numbers only, so a
    sample of the rows that broke it never leaves the database."""
    kwargs = {k: v for k, v in fact.get("kwargs", {}).items() if k != "unexpected_rows_query"}
    limits = ", ".join(f"{k}={v!r}"[:120] for k, v in (kwargs | fact.get("meta", {})).items())
    seen = [f"{k}={fact[k]:.6g}" for k in _COUNTS
            if isinstance(fact.get(k), int | float) and not isinstance(fact.get(k), bool)]
    line = f"{fact.get('expectation')}({limits}): observed {', '.join(seen) or 'no counts'}"
    return f"{line}; error: {first_line(fact['error'])}" if fact.get("error") else line


def check_alert(
    condition_key: str, asset: str, check: str, partition: str | None, observed: dict,
    run_id: str | None, alerts: AlertsResource,
) -> Alert:
    failed = [f for f in observed.get("expectations", []) if not f.get("success")]
    lines = [f"Asset: {asset}", f"Check: {check} (blocking)",
             *([f"Partition: {partition}"] if partition else []),
             *([f"Error: {first_line(observed['error'])}"] if observed.get("error") else []),
             *(f"Failed: {expectation_line(f)}" for f in failed),
             *([f"Link: {alerts.run_url(run_id)}"] if run_id else [])]
    subject = f"[platform] blocking check failed: {asset} {check}" + (
        f" ({partition})" if partition else "")
    return Alert(CHECK_FAILURE, "critical", condition_key, subject, "\n".join(lines))


@dg.sensor(
    name=CHECK_FAILURE_ALERTS,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends an alert for every failed blocking check recorded in "
    "quality.check_results (asset, partition, check, observed vs threshold) and records it in "
    "monitoring.alerts.",
)
def check_failure_alerts(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, alerts: AlertsResource
):
    sent = 0
    with postgres.connect() as conn:
        for key, asset, check, partition, observed, run_id in conn.execute(
            load_sql("alerts/check_failures")
        ).fetchall():
            alert = check_alert(key, asset, check, partition, observed, run_id, alerts)
            for delivery in alerts.send(conn, alert, run_id=run_id):
                context.log.info(f"alert {delivery.id} {delivery.status}: {delivery.destination}")
            sent += 1
    return dg.SkipReason(f"{sent} failed checks alerted" if sent else "no new failed checks")


def late_assets(
    repository: dg.RepositoryDefinition, instance: dg.DagsterInstance, now: datetime
) -> dict[tuple[str, datetime, datetime], list[str]]:
    """Assets with a cron freshness policy whose last materialization is older than the start of
    the window that closed at their last deadline, keyed by (cron, window start, deadline)."""
    late: dict[tuple[str, datetime, datetime], list[str]] = {}
    graph = repository.asset_graph
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        policy = graph.get(key).freshness_policy
        if getattr(policy, "deadline_cron", None) is None:
            continue
        # Dagster's own cron helper (no public one; croniter is not a dependency): the last
        # deadline at or before now.
        deadline = next(reverse_cron_string_iterator(
            now.timestamp(), policy.deadline_cron, policy.timezone or "UTC"))
        start = deadline - policy.lower_bound_delta
        event = instance.get_latest_materialization_event(key)
        # Materialized in the window, or late but since: the data is there.
        if event is None or event.timestamp < start.timestamp():
            late.setdefault((policy.deadline_cron, start, deadline), []).append(
                key.to_user_string())
    return late


def freshness_alert(start: datetime, deadline: datetime, assets: list[str], total: int) -> Alert:
    shown = assets[:_LATE_LISTED] + ([f"... and {len(assets) - _LATE_LISTED} more"]
                                     if len(assets) > _LATE_LISTED else [])
    when = f"{deadline:%Y-%m-%d %H:%M} {deadline.tzname() or 'UTC'}"
    lines = [f"Deadline: {when} (expected between {start:%H:%M} and {deadline:%H:%M})",
             f"Late: {len(assets)} of {total} assets with this deadline", *shown]
    return Alert(FRESHNESS, "critical", f"{deadline.isoformat()}",
                 f"[platform] {len(assets)} assets missed the {when} deadline", "\n".join(lines))


@dg.sensor(
    name=FRESHNESS_ALERTS,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Once per deadline, sends one alert listing the assets with a cron freshness "
    "policy (the nightly data, 04:00 UTC) not materialized by it; records it in "
    "monitoring.alerts.",
)
def freshness_alerts(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, alerts: AlertsResource
):
    now = datetime.now(UTC)
    late = late_assets(context.repository_def, context.instance, now)
    if not late:
        return dg.SkipReason("every asset with a freshness policy met its last deadline")
    graph = context.repository_def.asset_graph
    sent = 0
    with postgres.connect() as conn:
        for (cron, start, deadline), assets in late.items():
            total = sum(
                getattr(graph.get(k).freshness_policy, "deadline_cron", None) == cron
                for k in graph.get_all_asset_keys()
            )
            alert = freshness_alert(start, deadline, assets, total)
            # One alert per deadline, evaluated every few minutes: recorded once, any status.
            if conn.execute(load_sql("alerts/recorded"),
                            {"kind": alert.kind, "condition_key": alert.condition_key}).fetchone():
                continue
            for delivery in alerts.send(conn, alert):
                context.log.info(f"alert {delivery.id} {delivery.status}: {delivery.destination}")
            sent += 1
    return dg.SkipReason(f"{sent} freshness alerts" if sent else "late assets already alerted")


@dataclass(frozen=True)
class Drifted:
    """One row of alerts/drift.sql: a feature or a model's scores over the alert threshold."""

    condition_key: str
    subject_kind: str  # feature | model
    subject: str  # view.feature, or "model vN (role)"
    day: date
    psi: float
    psi_warn: float
    psi_alert: float
    bins: int | None
    row_count: int
    null_rate: float | None
    mean: float | None
    p50: float | None
    reference_model: str | None
    run_id: str | None


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:,.4g}"


def drift_alert(row: Drifted, alerts: AlertsResource) -> Alert:
    """Names, the PSI, its thresholds and the day's aggregates (count, null rate, mean, median):
    figures of the monitoring tables, never a row's values."""
    feature = row.subject_kind == "feature"
    table = "feature_stats_daily" if feature else "prediction_stats_daily"
    what = "feature drift" if feature else "score drift"
    subject = (f"[platform] {what}: {row.subject} on {row.day}, PSI {row.psi:.3f} > "
               f"{row.psi_alert:g}")
    bins = f", {row.bins} bins" if row.bins else ""
    rows = f"Rows that day: {row.row_count:,}" + (
        f"; null rate {row.null_rate:.1%}" if row.null_rate is not None else "")
    lines = [
        f"{'Feature' if feature else 'Model scores'}: {row.subject}",
        f"Day: {row.day} ({row.day:%A})",
        f"PSI: {row.psi:.4f} against the reference of {row.reference_model} (the same weekday "
        f"of its test window{bins})",
        f"Thresholds: warn above {row.psi_warn:g}, alert above {row.psi_alert:g}",
        f"{rows}; mean {_figure(row.mean)}, median {_figure(row.p50)}",
        f"Details: select * from monitoring.{table} where day = '{row.day}'"
        " and level in ('warn', 'alert')",
        *([f"Link: {alerts.run_url(row.run_id)}"] if row.run_id else []),
    ]
    return Alert(DRIFT, "warning", row.condition_key, subject, "\n".join(lines))


@dg.sensor(
    name=DRIFT_ALERTS,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends one alert per feature and day, and per model's scores and day, whose "
    "PSI is over the alert threshold in the drift statistics (monitoring.feature_stats_daily, "
    "monitoring.prediction_stats_daily) of the last week, and records it in monitoring.alerts.",
)
def drift_alerts(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, alerts: AlertsResource
):
    sent = 0
    with postgres.connect() as conn:
        rows = conn.execute(load_sql("alerts/drift"), {"recent_days": DRIFT_RECENT_DAYS})
        for row in [Drifted(*values) for values in rows.fetchall()]:
            for delivery in alerts.send(conn, drift_alert(row, alerts), run_id=row.run_id):
                context.log.info(f"alert {delivery.id} {delivery.status}: {delivery.destination}")
            sent += 1
    return dg.SkipReason(f"{sent} drift conditions alerted" if sent else "no new drift")


alert_sensors = [
    run_failure_alert, registry_alerts, check_failure_alerts, freshness_alerts, drift_alerts,
]
