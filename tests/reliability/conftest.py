"""The simulated world of tests/models, cloned per test; these tests use its vehicles only.

Building the whole world costs a Dagster run over 150 days (two minutes, most of it embedding
notes), so when the models tests already built theirs in this session their template is reused.
Otherwise the same simulation is built here, under another name (the models tests, run later,
still build their own), with ingest and `features/vehicle_daily` only: what the
`maintenance_prediction` dataset reads.
"""

import functools
import importlib.util
import uuid
import warnings
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.partitions import range_tags
from platform_assets.resources import ArtifactStore, PostgresResource


@functools.cache
def models_world():
    """tests/models/conftest.py as a plain module (its World class and world parameters),
    loaded on first use so that collecting this directory imports no definitions."""
    path = Path(__file__).resolve().parents[1] / "models" / "conftest.py"
    spec = importlib.util.spec_from_file_location("models_world", path)
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():  # loading the definitions inside a test warns of betas
        warnings.simplefilter("ignore", dg.BetaWarning)
        spec.loader.exec_module(module)
    return module


OWN_WORLD = "reliability_world"
VEHICLE_DAILY = dg.AssetKey(["features", "vehicle_daily"])


def _exists(server_url: str, name: str) -> bool:
    with psycopg.connect(server_url, autocommit=True) as conn:
        found = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
    return found is not None


@pytest.fixture(scope="session")
def fault_world_template(server_url, new_database, template_db, tmp_path_factory) -> str:
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
        selection=dg.AssetSelection.groups("ingest") | dg.AssetSelection.assets(VEHICLE_DAILY),
        tags=range_tags(models.FIRST_DAY, models.END.isoformat()),
        resources={
            "postgres": PostgresResource(database_url=url),
            "artifacts": ArtifactStore(root=str(tmp_path_factory.mktemp("fault-world"))),
            "embedding_model": EmbeddingModel(),
        },
    )
    assert result.success
    return OWN_WORLD


@pytest.fixture
def world(new_database, fault_world_template, tmp_path):
    """A fresh clone of the world (no datasets or models), run in one ephemeral instance."""
    url = new_database(f"w_{uuid.uuid4().hex[:12]}", fault_world_template)
    return models_world().World(url, tmp_path / "artifacts")
