"""The README's six analyst queries run as written, as the `analyst` role, on a world with
predictions and dashboards, and return rows; and the analyst role is refused the sources."""

import sys
from pathlib import Path

import psycopg
import pytest

from platform_assets.access.roles import analyst_url, apply_roles

sys.path.insert(0, str(Path(__file__).parents[1] / "access"))
from readme_queries import readme_queries  # noqa: E402

PASSWORD = "analyst-test-pw"


@pytest.fixture
def analyst(world):
    # The small world's churn model misses the default floor; the queries need it in production.
    assert world.train("churn_risk", gate_config={"floor": 0.5}).success
    assert world.train("demand_forecast").success
    assert world.run(
        "predictions/churn_risk", "predictions/demand_forecast",
        partition=("2026-06-01", "2026-06-29"),
    ).success
    dashboards = [
        "monitoring/db_stats", "dashboards/ops_daily_kpis", "dashboards/model_performance_daily",
        "dashboards/data_quality_daily", "dashboards/ml_performance_dashboard",
    ]
    assert world.run(*dashboards).success
    with world.connect() as conn:
        apply_roles(conn, PASSWORD)
    with psycopg.connect(analyst_url(world.url, PASSWORD), autocommit=True) as conn:
        yield conn


def test_the_readme_queries_run_as_the_analyst(analyst):
    queries = readme_queries()
    assert len(queries) == 6
    for query in queries:
        rows = analyst.execute(query).fetchall()
        assert rows, f"no rows from:\n{query}"


@pytest.mark.parametrize(
    "relation", ["ops.customers", "raw.service_events", "staging.customers",
                 "quality.rejected_rows"],
)
def test_the_analyst_is_refused_sources_and_pii(world, relation):
    # The grants alone decide this: no models, predictions or dashboards needed (training them
    # for each relation cost the suite two minutes).
    with world.connect() as conn:
        apply_roles(conn, PASSWORD)
    with (psycopg.connect(analyst_url(world.url, PASSWORD), autocommit=True) as analyst,
          pytest.raises(psycopg.errors.InsufficientPrivilege)):
        analyst.execute(f"select 1 from {relation} limit 1")  # noqa: S608 - constants
