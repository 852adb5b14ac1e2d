"""The daily partitioning every time-based asset shares (UTC days of operational changes)."""

import dagster as dg

PARTITION_START = "2025-01-01"
DAILY = dg.DailyPartitionsDefinition(start_date=PARTITION_START, timezone="UTC")
