"""Shared Dagster resources."""

from platform_assets.resources.artifacts import ArtifactStore
from platform_assets.resources.postgres import PostgresResource

__all__ = ["ArtifactStore", "PostgresResource"]
