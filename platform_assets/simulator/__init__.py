"""Synthetic operational source: a waste-collection operator's database, simulated with signal."""

from platform_assets.simulator.generate import DEFECT_KINDS, OPS_TABLES, SCHEMAS
from platform_assets.simulator.history import (
    PLANTED_KINDS,
    OpsHistory,
    ops_as_of,
    simulate,
    simulate_history,
)

__all__ = [
    "DEFECT_KINDS", "OPS_TABLES", "PLANTED_KINDS", "SCHEMAS", "OpsHistory", "ops_as_of",
    "simulate", "simulate_history",
]
