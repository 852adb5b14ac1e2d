"""The simulated world of tests/models, cloned per test; these tests use its vehicles only.

Building the whole world costs a Dagster run over 150 days (two minutes, most of it embedding
notes), so when the models tests already built theirs in this session their template is reused.
Otherwise the same simulation is built here, under another name (the models tests, run later,
still build their own), with ingest and `features/vehicle_daily` only: what the
`maintenance_prediction` dataset reads.
"""

import uuid

import dagster as dg
import pytest
from testkit import models_world, small_world

OWN_WORLD = "reliability_world"
VEHICLE_DAILY = dg.AssetKey(["features", "vehicle_daily"])


@pytest.fixture(scope="session")
def fault_world_template(server_url, new_database, template_db, tmp_path_factory) -> str:
    return small_world(server_url, new_database, template_db, OWN_WORLD, VEHICLE_DAILY,
                       tmp_path_factory.mktemp("fault-world"))


@pytest.fixture
def world(new_database, fault_world_template, tmp_path):
    """A fresh clone of the world (no datasets or models), run in one ephemeral instance."""
    url = new_database(f"w_{uuid.uuid4().hex[:12]}", fault_world_template)
    return models_world().World(url, tmp_path / "artifacts")
