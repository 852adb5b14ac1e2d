"""A trained world for the drift tests, built once per session into a template, cloned per test.

The simulated world of tests/models (its template reused when the models tests built it in this
session; else the same simulation with ingest and `features/bin_daily` only, what
`demand_forecast` reads), with demand_forecast trained and promoted, its drift reference built
and three days scored: an early day whose outcomes are known, and the two ordinary days the tests
plant drift on and next to.
"""

import uuid

import dagster as dg
import pytest
from drift_world import DAY, DAY_BEFORE, OUTCOME_DAY, TASK
from testkit import models_world, small_world

OWN_WORLD = "monitoring_world"
TRAINED = "monitoring_trained"
BIN_DAILY = dg.AssetKey(["features", "bin_daily"])


@pytest.fixture(scope="session")
def trained_template(server_url, new_database, template_db, tmp_path_factory) -> str:
    artifacts = tmp_path_factory.mktemp("monitoring-world")
    base = small_world(server_url, new_database, template_db, OWN_WORLD, BIN_DAILY,
                       artifacts)
    world = models_world().World(new_database(TRAINED, base), artifacts)
    assert world.train(TASK).success
    for day in (OUTCOME_DAY, DAY_BEFORE, DAY):
        assert world.run(f"predictions/{TASK}", partition=(day, day)).success
    return TRAINED


@pytest.fixture
def world(new_database, trained_template, tmp_path):
    """A fresh clone of the trained world, run in its own ephemeral instance (the model's
    artifact stays where the template's training wrote it)."""
    url = new_database(f"m_{uuid.uuid4().hex[:12]}", trained_template)
    return models_world().World(url, tmp_path / "artifacts")
