"""Schedules evaluate to the runs the docs promise."""

from datetime import UTC, datetime

import dagster as dg
import pytest
from testkit import partition_range

from platform_assets.definitions import defs
from platform_assets.resources import ArtifactStore


def test_nightly_run_rebuilds_yesterday_and_the_lookback_as_one_run(monkeypatch):
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert partition_range(request.tags) == ("2026-03-07", "2026-03-09")
    assert schedule.job_name == "nightly_refresh"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED

    monkeypatch.setenv("PLATFORM_NIGHTLY_LOOKBACK_DAYS", "1")
    request = schedule.evaluate_tick(context).run_requests[0]
    assert partition_range(request.tags) == ("2026-03-09", "2026-03-09")


def test_nightly_range_never_starts_before_the_first_partition():
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2025, 1, 2, 2, 0, tzinfo=UTC)
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert partition_range(request.tags) == ("2025-01-01", "2025-01-01")


def test_dashboard_refresh_runs_every_15_minutes():
    schedule = defs.resolve_schedule_def("dashboard_refresh_schedule")
    assert schedule.cron_schedule == "*/15 * * * *"
    assert schedule.job_name == "dashboard_refresh"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 3, 10, 2, 15, tzinfo=UTC)
    )
    assert len(schedule.evaluate_tick(context).run_requests) == 1


def test_demo_advance_moves_the_simulation_to_the_day_before_the_nightly_run():
    schedule = defs.resolve_schedule_def("demo_advance_schedule")
    assert schedule.cron_schedule == "30 1 * * *"  # half an hour before nightly_refresh
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.tags["platform/through"] == "2026-03-09"
    assert request.run_key == "demo-advance-2026-03-09"


def test_weekly_training_runs_sundays_and_takes_gate_config():
    schedule = defs.resolve_schedule_def("weekly_training_schedule")
    assert schedule.cron_schedule == "0 3 * * 0"
    job = defs.resolve_job_def("weekly_training")
    config = {"ops": {"models__churn_risk_promotion": {"config": {"floor": 0.7}}}}
    assert dg.validate_run_config(job, config)
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(
            job, {"ops": {"models__churn_risk_promotion": {"config": {"floor": "high"}}}}
        )


def test_the_nightly_assets_carry_a_freshness_policy():
    graph = defs.resolve_asset_graph()
    policy = graph.get(dg.AssetKey(["features", "customer_daily"])).freshness_policy
    assert policy.deadline_cron == "0 4 * * *"
    assert graph.get(dg.AssetKey(["staging", "service_events"])).freshness_policy == policy


def test_a_failed_run_is_written_to_the_audit_log(conn, postgres, tmp_path):
    from platform_assets.models.assets import model_assets
    from platform_assets.sensors import RUN_FAILURE_AUDIT, run_failure_audit

    instance = dg.DagsterInstance.ephemeral()
    churn = [a for a in model_assets if a.key == dg.AssetKey(["models", "churn_risk"])]
    result = dg.materialize(  # fails: its training dataset was never materialized
        churn,
        instance=instance,
        resources={"postgres": postgres, "artifacts": ArtifactStore(root=str(tmp_path))},
        raise_on_error=False,
    )
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name=RUN_FAILURE_AUDIT,
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=run,
        resources={"postgres": postgres},
    ).for_run_failure()
    run_failure_audit(context)
    operation, actor, run_id, params, outcome, status = conn.execute(
        "select operation_type, actor, run_id, params, result, status from ml.audit_log"
    ).fetchone()
    assert (operation, actor, run_id, status) == (
        "run_failure", "sensor:run_failure_audit", result.run_id, "failure"
    )
    assert params["job_name"] == run.job_name
    assert outcome["failed_steps"] == ["models__churn_risk"]
