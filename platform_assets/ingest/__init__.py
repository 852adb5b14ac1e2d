"""Ingest: operational tables -> raw.* (landed as text) -> staging.* (typed, validated)."""
