"""Schedules. All start STOPPED: turn them on in the UI (Automation) or with
`dagster schedule start`; `make ui` runs the daemon that executes them.

| schedule | when (UTC) | runs |
|---|---|---|
| demo_advance_schedule | 01:30 daily | demo only: the simulation moves forward to yesterday |
| nightly_refresh_schedule | 02:00 daily | yesterday + lookback: ingest, features, embeddings,
  predictions, drift statistics |
| weekly_training_schedule | Sun 03:00 | datasets, checks, models, the promotion gate |
| dashboard_refresh_schedule | every 15 min | db stats, the analytics views, the HTML report |
"""

import os
from datetime import timedelta

import dagster as dg

from platform_assets.jobs import DASHBOARD_REFRESH, DEMO_ADVANCE, NIGHTLY_REFRESH, WEEKLY_TRAINING
from platform_assets.partitions import DAILY, range_tags

DEFAULT_LOOKBACK_DAYS = 3


def lookback_days() -> int:
    """Days the nightly run recomputes (`PLATFORM_NIGHTLY_LOOKBACK_DAYS`, default 3): late
    corrections change the last few days' features, so they are rebuilt too."""
    value = int(os.environ.get("PLATFORM_NIGHTLY_LOOKBACK_DAYS", DEFAULT_LOOKBACK_DAYS))
    if value < 1:
        raise ValueError("PLATFORM_NIGHTLY_LOOKBACK_DAYS must be at least 1")
    return value


def nightly_range(scheduled_day) -> tuple[str, str]:
    """The partitions a nightly run at `scheduled_day` 02:00 UTC rebuilds: yesterday and the
    lookback before it, never before the first partition."""
    last = scheduled_day - timedelta(days=1)
    first = max(last - timedelta(days=lookback_days() - 1), DAILY.start.date())
    return first.isoformat(), last.isoformat()


@dg.schedule(
    name="nightly_refresh_schedule",
    job_name=NIGHTLY_REFRESH,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="02:00 UTC: yesterday's partitions plus the lookback days, as one run.",
)
def nightly_refresh_schedule(context: dg.ScheduleEvaluationContext):
    first, last = nightly_range(context.scheduled_execution_time.date())
    return dg.RunRequest(
        run_key=f"nightly-{last}",
        tags=range_tags(first, last),
    )


weekly_training_schedule = dg.ScheduleDefinition(
    name="weekly_training_schedule",
    job_name=WEEKLY_TRAINING,
    cron_schedule="0 3 * * 0",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Sundays 03:00 UTC: rebuild the training datasets, train, gate and promote.",
)

dashboard_refresh_schedule = dg.ScheduleDefinition(
    name="dashboard_refresh_schedule",
    job_name=DASHBOARD_REFRESH,
    cron_schedule="*/15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every 15 minutes: snapshot database activity, refresh the analytics views.",
)


@dg.schedule(
    name="demo_advance_schedule",
    job_name=DEMO_ADVANCE,
    cron_schedule="30 1 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Demo mode, 01:30 UTC: simulate the operations through yesterday, so the "
    "02:00 nightly run lands a new day. Leave it off against real operations.",
)
def demo_advance_schedule(context: dg.ScheduleEvaluationContext):
    through = (context.scheduled_execution_time.date() - timedelta(days=1)).isoformat()
    return dg.RunRequest(run_key=f"demo-advance-{through}", tags={"platform/through": through})


schedules = [
    demo_advance_schedule,
    nightly_refresh_schedule,
    weekly_training_schedule,
    dashboard_refresh_schedule,
]
