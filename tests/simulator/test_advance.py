"""Demo mode's advance: the simulation moves forward to a day, once."""

from datetime import date

from platform_assets.simulator import simulate
from platform_assets.simulator.advance import advance
from platform_assets.simulator.load import current_params, simulation_params, write_ops


def test_advance_extends_the_history_to_the_day_and_keeps_its_start(conn):
    assert advance(conn, date(2026, 3, 21)).advanced is False  # nothing simulated yet
    write_ops(conn, simulate(40, 20, 5, date(2026, 3, 20)), simulation_params(40, 20, 5,
                                                                              date(2026, 3, 20)))
    result = advance(conn, date(2026, 3, 22))
    assert result.advanced and result.rows["service_events"] > 0
    assert current_params(conn) == simulation_params(40, 22, 5, date(2026, 3, 22))
    # 2026-03-22 is a Sunday (no rounds): every vehicle is stamped on the last evening instead.
    latest = conn.execute("select max(updated_at)::date from ops.vehicles").fetchone()[0]
    assert latest == date(2026, 3, 22)
    first = conn.execute("select min(created_at)::date from ops.routes").fetchone()[0]
    assert first >= date(2026, 3, 1)
    again = advance(conn, date(2026, 3, 22))
    assert not again.advanced and "already runs through 2026-03-22" in again.message
