"""A small simulated world, built once per session: ops -> ingest -> features -> topics.

Building it takes a Dagster run over the whole history, so it is made once into a template
database; each test clones it (milliseconds) and trains, gates and scores in its own database
and its own ephemeral Dagster instance.
"""

import dataclasses
import uuid
from datetime import date
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from platform_assets.definitions import defs
from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.jobs import DATA_GROUPS
from platform_assets.models import artifact, registry
from platform_assets.models.specs import MODEL_SPECS
from platform_assets.models.train import fit, load_dataset
from platform_assets.models.verify import verify_artifact
from platform_assets.partitions import range_tags
from platform_assets.resources import ArtifactStore, PostgresResource
from platform_assets.simulator import simulate
from platform_assets.simulator.load import simulation_params, write_ops

CUSTOMERS, DAYS, SEED = 600, 150, 11
END = date(2026, 6, 30)
FIRST_DAY = "2026-02-01"  # the first day of the 150-day history
WORLD = "models_world"


@pytest.fixture(scope="session")
def world_artifacts(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("world-artifacts")


@pytest.fixture(scope="session")
def world_template(new_database, template_db, world_artifacts) -> str:
    url = new_database(WORLD, template_db)
    with psycopg.connect(url, autocommit=True) as conn:
        tables = simulate(customers=CUSTOMERS, days=DAYS, seed=SEED, end_date=END)
        write_ops(conn, tables, simulation_params(CUSTOMERS, DAYS, SEED, END))
    result = dg.materialize(
        list(defs.assets),
        instance=dg.DagsterInstance.ephemeral(),
        selection=dg.AssetSelection.groups(*DATA_GROUPS),
        tags=range_tags(FIRST_DAY, END.isoformat()),
        resources={
            "postgres": PostgresResource(database_url=url),
            "artifacts": ArtifactStore(root=str(world_artifacts)),
            "embedding_model": EmbeddingModel(),
        },
    )
    assert result.success
    return WORLD


@pytest.fixture
def world_url(new_database, world_template) -> str:
    """A fresh clone of the world: ingested, with features and topics; no datasets or models."""
    return new_database(f"w_{uuid.uuid4().hex[:12]}", world_template)


@pytest.fixture
def world(world_url, tmp_path):
    """Run assets of the full definitions against the clone, in one ephemeral instance."""
    return World(world_url, tmp_path / "artifacts")


class World:
    def __init__(self, url: str, artifacts: Path) -> None:
        self.url = url
        self.artifacts = ArtifactStore(root=str(artifacts))
        self.instance = dg.DagsterInstance.ephemeral()

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True)

    def run(self, *keys: str, partition: tuple[str, str] | None = None, run_config=None):
        """Materialize the assets `keys` ("training/demand_forecast", ...) in one run."""
        return dg.materialize(
            list(defs.assets),
            instance=self.instance,
            selection=[dg.AssetKey.from_user_string(k) for k in keys],
            tags=range_tags(*partition) if partition else None,
            run_config=run_config,
            raise_on_error=False,
            resources={
                "postgres": PostgresResource(database_url=self.url),
                "artifacts": self.artifacts,
                "embedding_model": EmbeddingModel(),
            },
        )

    def train(self, task: str, gate_config: dict | None = None):
        """Dataset, its checks, model and promotion for one task (the weekly job's path)."""
        config = None
        if gate_config:
            config = {"ops": {f"models__{task}_promotion": {"config": gate_config}}}
        return self.run(f"training/{task}", f"models/{task}", f"models/{task}_promotion",
                        run_config=config)

    def candidate(self, task: str, verified: bool = True, **hyperparameters):
        """Register another staging version of `task`, trained on its registered dataset with
        `hyperparameters` changed (weaker or merely different models for registry tests), and
        record its `artifact_verifies` as the model asset does (unless `verified` is False)."""
        spec = MODEL_SPECS[task]
        spec = dataclasses.replace(
            spec, hyperparameters={**spec.hyperparameters, **hyperparameters}
        )
        with self.connect() as conn:
            version = conn.execute(
                "select version from training.datasets where task = %s"
                " order by created_at desc limit 1",
                (task,),
            ).fetchone()[0]
            dataset = load_dataset(conn, task, version)
            trained = fit(spec, dataset)
            saved = artifact.save(self.artifacts, trained.bundle)
            row, new = registry.register(
                conn, registry.version_values(spec, trained, saved, dataset, "test")
            )
            if verified:
                assert verify_artifact(conn, spec, row, dataset, "test").passed
        assert new
        return row
