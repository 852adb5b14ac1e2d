"""Demo mode: move the simulated operations forward to a day, so a running UI sees new data.

The history is simulated again with the same size and seed, from the same first day, through
`through`; the nightly run that follows lands the newest days. The simulator draws each history
as a whole, so older days can come out differently: they stay as landed unless backfilled. This
is a demo device, not a way to feed production data.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import psycopg

from platform_assets.simulator.history import simulate
from platform_assets.simulator.load import current_params, simulation_params, write_ops


@dataclass(frozen=True)
class Advance:
    advanced: bool
    message: str
    rows: dict[str, int]


def advance(conn: psycopg.Connection, through: date) -> Advance:
    params = current_params(conn)
    if params is None:
        return Advance(False, "ops holds no simulation: run platform-assets demo first", {})
    end = date.fromisoformat(params["end_date"])
    if through <= end:
        return Advance(False, f"the simulation already runs through {end}", {})
    start = end - timedelta(days=params["days"] - 1)
    days = (through - start).days + 1
    tables = simulate(
        customers=params["customers"], days=days, seed=params["seed"], end_date=through
    )
    rows = write_ops(
        conn, tables, simulation_params(params["customers"], days, params["seed"], through)
    )
    return Advance(True, f"simulated {start}..{through} ({days} days, was through {end})", rows)
