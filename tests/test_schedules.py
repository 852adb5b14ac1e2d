"""Schedules evaluate to the runs the docs promise."""

from datetime import UTC, datetime

import dagster as dg

from platform_assets.definitions import defs


def test_nightly_run_rebuilds_yesterday_and_the_lookback_as_one_run(monkeypatch):
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.tags["dagster/asset_partition_range_start"] == "2026-03-07"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-03-09"
    assert schedule.job_name == "nightly_refresh"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED

    monkeypatch.setenv("PLATFORM_NIGHTLY_LOOKBACK_DAYS", "1")
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.tags["dagster/asset_partition_range_start"] == "2026-03-09"


def test_nightly_range_never_starts_before_the_first_partition():
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2025, 1, 2, 2, 0, tzinfo=UTC)
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.tags["dagster/asset_partition_range_start"] == "2025-01-01"
    assert request.tags["dagster/asset_partition_range_end"] == "2025-01-01"
