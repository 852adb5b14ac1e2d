"""`platform-assets status`: the state of the platform on one screen.

The last run of each scheduled job, the assets that missed their freshness deadline, the checks
failing now, the production and staging models with their live metric, and the alerts of the
last day. Everything is read, nothing is changed: it is safe to run at any time, from cron too.
"""

from datetime import UTC, datetime

import dagster as dg
import psycopg

from platform_assets.alerts.sensors import late_assets
from platform_assets.db.sql import load_sql
from platform_assets.jobs import DASHBOARD_REFRESH, NIGHTLY_REFRESH, WEEKLY_TRAINING

JOBS = (NIGHTLY_REFRESH, WEEKLY_TRAINING, DASHBOARD_REFRESH)
LISTED = 5  # rows of each section before "... and N more"
LIVE_DAYS = 30
ALERT_HOURS = 24


def _when(ts: datetime | float | None) -> str:
    if ts is None:
        return "-"
    if not isinstance(ts, datetime):
        ts = datetime.fromtimestamp(ts, UTC)
    return f"{ts.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _runs(instance: dg.DagsterInstance) -> list[str]:
    lines = []
    for job in JOBS:
        records = instance.get_run_records(dg.RunsFilter(job_name=job), limit=1)
        if not records:
            lines.append(f"  {job:<20} never run")
            continue
        record = records[0]
        started, ended = record.start_time, record.end_time
        took = f", {ended - started:.0f} s" if started and ended else ""
        lines.append(f"  {job:<20} {record.dagster_run.status.value.lower():<9} "
                     f"started {_when(started)}{took}  run {record.dagster_run.run_id[:8]}")
    return lines


def _late(repository: dg.RepositoryDefinition, instance: dg.DagsterInstance) -> list[str]:
    late = late_assets(repository, instance, datetime.now(UTC))
    if not late:
        return ["  none: every asset with a freshness deadline met its last one"]
    lines = []
    for (_, _, deadline), assets in late.items():
        more = f" ... and {len(assets) - LISTED} more" if len(assets) > LISTED else ""
        lines.append(f"  missed {_when(deadline)}: {', '.join(assets[:LISTED])}{more}")
    return lines


def _checks(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(load_sql("monitoring/status_failed_checks"), {"limit": LISTED}).fetchall()
    if not rows:
        return ["  none: the latest result of every check passed"]
    return [f"  {asset} {check} [{partition}] {severity}, {_when(at)}"
            for asset, check, partition, severity, at in rows]


def _models(conn: psycopg.Connection) -> list[str]:
    from platform_assets.models.specs import MODEL_SPECS

    rows = conn.execute(load_sql("monitoring/status_models"), {"days": LIVE_DAYS}).fetchall()
    if not rows:
        return ["  none registered yet (weekly_training trains them)"]
    lines = []
    for name, version, status, test_metrics, outcomes, accuracy, mae, challenger in rows:
        status = "challenger" if challenger and status == "staging" else status
        spec = MODEL_SPECS.get(name)
        metric = spec.primary_metric if spec else None
        test = f"test {metric} {test_metrics[metric]:.3f}" if metric in test_metrics else "test -"
        if not outcomes:
            live = "no outcomes known yet"
        elif accuracy is not None:
            live = f"live accuracy {accuracy:.3f} on {outcomes:,} outcomes"
        else:
            live = f"live MAE {mae:.2f} on {outcomes:,} outcomes"
        lines.append(f"  {name} v{version:<3} {status:<10} {test}; {live}")
    return lines


def _alerts(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(load_sql("monitoring/status_alerts"), {"hours": ALERT_HOURS}).fetchall()
    if not rows:
        return [f"  none in the last {ALERT_HOURS} h"]
    return [f"  {kind:<12} {status:<10} {count:>3}  last {_when(at)}: {subject}"
            for kind, status, count, at, subject in rows]


def status_report(
    conn: psycopg.Connection, instance: dg.DagsterInstance, repository: dg.RepositoryDefinition
) -> str:
    sections = (
        ("Last runs", _runs(instance)),
        ("Late assets (freshness deadlines)", _late(repository, instance)),
        ("Failing checks (latest result of each)", _checks(conn)),
        (f"Models (live metric over the last {LIVE_DAYS} days of predictions)", _models(conn)),
        (f"Alerts (last {ALERT_HOURS} h, monitoring.alerts)", _alerts(conn)),
    )
    return "\n".join(f"{title}:\n" + "\n".join(lines) for title, lines in sections)
