"""A trained world for the drift tests, built once per session into a template, cloned per test.

The simulated world of tests/models (its template reused when the models tests built it in this
session; else the same simulation with ingest and `features/bin_daily` only, what
`demand_forecast` reads), with demand_forecast trained and promoted, its drift reference built
and three days scored: an early day whose outcomes are known, and the two ordinary days the tests
plant drift on and next to.
"""

import functools
import importlib.util
import uuid
import warnings
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from drift_world import DAY, DAY_BEFORE, OUTCOME_DAY, TASK

from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.partitions import range_tags
from platform_assets.resources import ArtifactStore, PostgresResource

OWN_WORLD = "monitoring_world"
TRAINED = "monitoring_trained"
BIN_DAILY = dg.AssetKey(["features", "bin_daily"])


@functools.cache
def models_world():
    """tests/models/conftest.py as a plain module (its World class and world parameters), as
    tests/reliability loads it: test modules never import a conftest by name."""
    path = Path(__file__).resolve().parents[1] / "models" / "conftest.py"
    spec = importlib.util.spec_from_file_location("models_world", path)
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        spec.loader.exec_module(module)
    return module


def _exists(server_url: str, name: str) -> bool:
    with psycopg.connect(server_url, autocommit=True) as conn:
        found = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
    return found is not None


def _base_world(server_url, new_database, template_db, artifacts: Path) -> str:
    models = models_world()
    if _exists(server_url, models.WORLD):
        return models.WORLD
    url = new_database(OWN_WORLD, template_db)
    size = (models.CUSTOMERS, models.DAYS, models.SEED, models.END)
    with psycopg.connect(url, autocommit=True) as conn:
        models.write_ops(conn, models.simulate(*size), models.simulation_params(*size))
    result = dg.materialize(
        list(models.defs.assets),
        instance=dg.DagsterInstance.ephemeral(),
        selection=dg.AssetSelection.groups("ingest") | dg.AssetSelection.assets(BIN_DAILY),
        tags=range_tags(models.FIRST_DAY, models.END.isoformat()),
        resources={
            "postgres": PostgresResource(database_url=url),
            "artifacts": ArtifactStore(root=str(artifacts)),
            "embedding_model": EmbeddingModel(),
        },
    )
    assert result.success
    return OWN_WORLD


@pytest.fixture(scope="session")
def trained_template(server_url, new_database, template_db, tmp_path_factory) -> str:
    artifacts = tmp_path_factory.mktemp("monitoring-world")
    base = _base_world(server_url, new_database, template_db, artifacts)
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
