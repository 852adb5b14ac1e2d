"""Synthetic operational source: a waste-collection operator's database, simulated with signal."""

from platform_assets.simulator.generate import DEFECT_KINDS, OPS_TABLES, SCHEMAS, simulate

__all__ = ["DEFECT_KINDS", "OPS_TABLES", "SCHEMAS", "simulate"]
