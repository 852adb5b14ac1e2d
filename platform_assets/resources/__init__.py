"""Shared Dagster resources."""

from platform_assets.resources.postgres import PostgresResource

__all__ = ["PostgresResource"]
