"""Who an ML operation is done for, as the audit log records it: a schedule, a sensor, a
backfill, or the person who launched the run or ran the CLI."""

import getpass

import dagster as dg


def run_actor(context: dg.AssetExecutionContext) -> str:
    tags = context.run.tags
    for tag, kind in (
        ("dagster/schedule_name", "schedule"),
        ("dagster/sensor_name", "sensor"),
        ("dagster/backfill", "backfill"),
    ):
        if tag in tags:
            return f"{kind}:{tags[tag]}"
    return f"user:{tags.get('user', 'dagster')}"


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:  # no passwd entry (some containers)
        return "cli:unknown"
