"""The results file as long benchmarks write it: phase by phase, under a lock."""

from bench.results import row, upsert


def _row(benchmark: str, metric: str, value: float, scale: str = "M") -> dict:
    return row(benchmark, metric, value, "s", scale=scale, measured_at="2026-12-01T00:00:00+00:00")


def test_a_phase_replaces_its_own_metrics_in_place_and_keeps_the_rest():
    existing = [_row("load", "simulate_s", 1), _row("load", "backfill_s", 2), _row("other", "x", 3)]
    rows = upsert(existing, [_row("load", "backfill_s", 20), _row("load", "weekly_s", 30)])
    assert [(r["metric"], r["value"]) for r in rows] == [
        ("simulate_s", 1), ("backfill_s", 20), ("x", 3), ("weekly_s", 30)]


def test_a_phase_at_another_scale_drops_the_older_runs_rows_of_that_benchmark():
    existing = [_row("load", "simulate_s", 1, "800x120"), _row("other", "x", 3, "800x120")]
    rows = upsert(existing, [_row("load", "backfill_s", 20, "M")])
    assert [(r["benchmark"], r["metric"]) for r in rows] == [("other", "x"), ("load", "backfill_s")]
