"""Snapshots of Postgres activity and statistics (`monitoring/db_stats`)."""
