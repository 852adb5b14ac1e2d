"""The alert sensors: run failures, evaluated on a real failed run of an ephemeral instance;
blocked gates and rollbacks, as the registry writes them to ml.audit_log; failed blocking checks,
as the quality code writes them to quality.check_results; missed freshness deadlines, against
materializations in an ephemeral instance."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from testkit import free_port

from platform_assets.alerts import AlertsResource
from platform_assets.alerts.sensors import (
    RUN_FAILURE_ALERT,
    check_failure_alerts,
    first_line,
    freshness_alerts,
    registry_alerts,
    run_failure_alert,
)
from platform_assets.freshness import with_nightly_freshness
from platform_assets.models import registry
from platform_assets.quality.checks import record
from platform_assets.quality.report import Outcome


@dg.asset(key=["features", "broken_view"])
def broken_view() -> None:
    raise ValueError("expected 12 partitions, found 3\nrow detail that must not be sent")


def failure_context(instance, result, resources) -> dg.RunFailureSensorContext:
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    return dg.build_run_status_sensor_context(
        sensor_name=RUN_FAILURE_ALERT,
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        resources=resources,
    ).for_run_failure()


def test_a_failed_run_sends_one_alert_with_step_error_and_link(conn, postgres, smtp, webhook):
    (mail_url, inbox), (hook_url, received) = smtp, webhook
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([broken_view], instance=instance, raise_on_error=False)
    assert not result.success
    alerts = AlertsResource(urls=f"{mail_url},{hook_url}", webserver_url="http://ui.example:3000/")

    context = failure_context(instance, result, {"postgres": postgres, "alerts": alerts})
    run_failure_alert(context)

    assert len(received) == 1 and len(inbox.messages) == 1
    body = received[0]["message"]
    assert received[0]["title"] == "[platform] run failed: __ephemeral_asset_job__ " \
        "(features__broken_view)"
    assert "Failed steps: features__broken_view" in body
    assert "Error: ValueError: expected 12 partitions, found 3" in body
    assert "row detail" not in body
    assert f"Link: http://ui.example:3000/runs/{result.run_id}" in body
    assert inbox.messages[0]["Subject"] == received[0]["title"]
    stored = conn.execute(
        "select kind, severity, condition_key, status, run_id, body from monitoring.alerts"
    ).fetchall()
    assert stored == [
        ("run_failure", "critical", "__ephemeral_asset_job__:features__broken_view", "sent",
         result.run_id, body),
    ] * 2

    # The same job failing at the same step again that day: recorded, not sent again.
    again = dg.materialize([broken_view], instance=instance, raise_on_error=False)
    run_failure_alert(failure_context(instance, again, {"postgres": postgres, "alerts": alerts}))
    assert len(received) == 1 and len(inbox.messages) == 1
    assert conn.execute(
        "select status, count(*) from monitoring.alerts where run_id = %s group by status",
        (again.run_id,),
    ).fetchall() == [("suppressed", 2)]


def test_the_sensor_is_registered_and_running_by_default():
    from platform_assets.definitions import defs

    sensor = defs.resolve_sensor_def(RUN_FAILURE_ALERT)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert isinstance(defs.resources["alerts"], AlertsResource)
    assert defs.resources["alerts"].urls is None  # destinations come from the environment


@pytest.mark.parametrize("text, line", [
    ("ValueError: boom\ndetail", "ValueError: boom"),
    ("\n  \n  late first line  \nmore", "late first line"),
    ("", ""),
    (None, ""),
    ("cannot reach postgresql://u:hunter2@db/x", "cannot reach postgresql://u:***@db/x"),
    ("x" * 500, "x" * 300),
])
def test_first_line(text, line):
    assert first_line(text) == line


def gate_blocked(conn, version: int, run_id: str | None = "run-gate") -> None:
    """Logged as gate.decide logs a blocked decision (models/audit.sql, through the registry)."""
    registry.audit(
        conn, "gate_decision", None, "schedule:weekly_training", run_id,
        {"model_name": "churn_risk", "model_version": version},
        {"decision": "blocked", "failed_rules": ["not_worse_than_production", "feature_drift"]},
        status="blocked",
    )


def test_blocked_gates_and_rollbacks_each_send_one_alert(conn, postgres, webhook):
    hook_url, received = webhook
    alerts = AlertsResource(urls=hook_url, webserver_url="http://ui.example:3000")
    context = dg.build_sensor_context(resources={"postgres": postgres, "alerts": alerts})
    gate_blocked(conn, 3)
    registry.audit(conn, "gate_decision", None, "cli:ann", None,
                   {"model_name": "churn_risk", "model_version": 4},
                   {"decision": "promoted", "failed_rules": []})
    registry.audit(conn, "rollback", None, "cli:ann", None,
                   {"model_name": "churn_risk", "from_version": 4, "to_version": 2},
                   {"restored": "churn_risk v2", "rolled_back": "churn_risk v4"})

    registry_alerts(context)

    assert [r["title"] for r in received] == [
        "[platform] gate blocked churn_risk v3: not_worse_than_production, feature_drift",
        "[platform] rollback of churn_risk: v4 -> v2",
    ]
    assert "Link: http://ui.example:3000/runs/run-gate" in received[0]["message"]
    assert "By: cli:ann" in received[1]["message"] and "Link" not in received[1]["message"]
    assert conn.execute(
        "select kind, severity, condition_key, status, run_id from monitoring.alerts order by id"
    ).fetchall() == [
        ("gate_blocked", "warning", "churn_risk:v3", "sent", "run-gate"),
        ("rollback", "critical", "churn_risk:v4->v2", "sent", None),
    ]

    # Evaluated again: nothing new, nothing sent.
    registry_alerts(context)
    assert len(received) == 2
    # The same candidate blocked again the same day: recorded, not re-sent; another one is sent.
    gate_blocked(conn, 3, run_id="run-gate-2")
    gate_blocked(conn, 5)
    registry_alerts(context)
    assert [r["title"].split(":")[0] for r in received[2:]] == [
        "[platform] gate blocked churn_risk v5"
    ]
    assert conn.execute(
        "select condition_key, status from monitoring.alerts where id > 2 order by id"
    ).fetchall() == [("churn_risk:v3", "suppressed"), ("churn_risk:v5", "sent")]


def test_an_unreachable_destination_does_not_fail_the_sensor(conn, postgres):
    alerts = AlertsResource(urls=f"json://127.0.0.1:{free_port()}/x", timeout_s=5)
    gate_blocked(conn, 3)
    result = registry_alerts(dg.build_sensor_context(
        resources={"postgres": postgres, "alerts": alerts}))
    assert isinstance(result, dg.SkipReason)
    assert conn.execute("select status from monitoring.alerts").fetchall() == [("failed",)]
    registry_alerts(dg.build_sensor_context(resources={"postgres": postgres, "alerts": alerts}))
    assert conn.execute("select count(*) from monitoring.alerts").fetchone() == (1,)


def failed_check(conn, partition: str, run_id: str = "run-q", blocking: bool = True) -> None:
    """Recorded as a GX suite's outcome is (quality.checks.record), with a sample of bad rows."""
    fact = {
        "expectation": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "email", "mostly": 0.99}, "success": False,
        "unexpected_count": 42, "unexpected_percent": 4.2, "element_count": 1000,
        "unexpected_sample": ["jane.doe@example.com"],
        "unexpected_rows": [{"email": "jane.doe@example.com"}],
    }
    ok = {"expectation": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1},
          "success": True, "observed_value": 1000}
    record(conn, dg.AssetKey(["staging", "customers"]), partition, run_id,
           [Outcome("customers_complete", blocking, [ok, fact])])


def test_a_failed_blocking_check_sends_one_alert_with_counts_not_rows(conn, postgres, webhook):
    hook_url, received = webhook
    alerts = AlertsResource(urls=hook_url, webserver_url="http://ui.example:3000")
    context = dg.build_sensor_context(resources={"postgres": postgres, "alerts": alerts})
    failed_check(conn, "2026-06-30")
    failed_check(conn, "2026-06-29", blocking=False)  # a warning: no alert

    check_failure_alerts(context)
    check_failure_alerts(context)  # nothing new

    assert len(received) == 1
    assert received[0]["title"] == (
        "[platform] blocking check failed: staging/customers customers_complete (2026-06-30)"
    )
    assert received[0]["message"] == "\n".join([
        "Asset: staging/customers",
        "Check: customers_complete (blocking)",
        "Partition: 2026-06-30",
        "Failed: expect_column_values_to_not_be_null(column='email', mostly=0.99): observed"
        " unexpected_count=42, unexpected_percent=4.2, element_count=1000",
        "Link: http://ui.example:3000/runs/run-q",
    ])
    assert "jane.doe" not in str(conn.execute("select * from monitoring.alerts").fetchall())
    # The same check failing again on the same partition that day: recorded, not re-sent.
    failed_check(conn, "2026-06-30", run_id="run-q2")
    check_failure_alerts(context)
    assert len(received) == 1
    assert conn.execute(
        "select condition_key, status, run_id from monitoring.alerts order by id"
    ).fetchall() == [
        ("staging/customers:customers_complete:2026-06-30", "sent", "run-q"),
        ("staging/customers:customers_complete:2026-06-30", "suppressed", "run-q2"),
    ]


@dg.asset(key=["staging", "fresh_table"])
def fresh_table() -> None:
    pass


@dg.asset(key=["staging", "late_table"])
def late_table() -> None:
    pass


def test_assets_missing_their_deadline_send_one_alert_per_deadline(conn, postgres, webhook):
    hook_url, received = webhook
    assets = with_nightly_freshness([fresh_table, late_table])
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize([assets[0]], instance=instance).success  # now: after the last window
    context = dg.build_sensor_context(
        instance=instance, definitions=dg.Definitions(assets=[*assets, broken_view]),
        resources={"postgres": postgres, "alerts": AlertsResource(urls=hook_url)},
    )

    freshness_alerts(context)
    freshness_alerts(context)  # evaluated again before the next deadline: nothing new

    now = datetime.now(UTC)
    deadline = max(d for d in (now.replace(hour=4, minute=0, second=0, microsecond=0),
                               now.replace(hour=4, minute=0, second=0, microsecond=0)
                               - timedelta(days=1)) if d <= now)
    assert [(r["title"], r["message"]) for r in received] == [(
        f"[platform] 1 assets missed the {deadline:%Y-%m-%d} 04:00 UTC deadline",
        f"Deadline: {deadline:%Y-%m-%d} 04:00 UTC (expected between 02:00 and 04:00)\n"
        "Late: 1 of 2 assets with this deadline\nstaging/late_table",
    )]
    assert conn.execute("select kind, condition_key, status from monitoring.alerts").fetchall() \
        == [("freshness", deadline.isoformat(), "sent")]


def test_no_freshness_alert_when_every_asset_is_materialized(conn, postgres, webhook):
    hook_url, received = webhook
    assets = with_nightly_freshness([fresh_table, late_table])
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize(assets, instance=instance).success
    result = freshness_alerts(dg.build_sensor_context(
        instance=instance, definitions=dg.Definitions(assets=assets),
        resources={"postgres": postgres, "alerts": AlertsResource(urls=hook_url)},
    ))
    assert isinstance(result, dg.SkipReason) and received == []
    assert conn.execute("select count(*) from monitoring.alerts").fetchone() == (0,)
