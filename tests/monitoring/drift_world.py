"""The days and task of the drift tests' world (tests/monitoring/conftest.py builds it), importable
as `drift_world` by the tests and the conftest alike."""

TASK = "demand_forecast"
DAY = "2026-06-29"  # a Monday after the reference window (the test split ends mid-June)
DAY_BEFORE = "2026-06-28"
OUTCOME_DAY = "2026-06-15"  # scored, and its 7-day outcomes observed by the world's end
