"""Artifact storage that cannot take a file: a full disk (a file size limit: writes past it fail
with EFBIG, which root cannot override, unlike permissions) and a root that cannot be a
directory. The error names the path, and no database row points to a file that is not there."""

import textwrap

import pytest
from fault_jobs import TASK
from fault_tools import finish, shorter_window, spawn, step_failures
from testkit import fingerprint

from platform_assets.resources import ArtifactStore

LIMIT_BYTES = 1024  # far below a dataset snapshot or a pickled model

# Runs `before` unlimited, then `limited` under the file size limit, in one ephemeral instance
# (in memory: no file of Dagster's own is written), and prints every step failure.
RUN_LIMITED = textwrap.dedent(
    """
    import resource, signal, sys
    import dagster as dg
    from platform_assets.models.assets import model_assets
    from platform_assets.resources import ArtifactStore, PostgresResource
    from platform_assets.training.assets import training_assets

    url, root, limit, before, limited = sys.argv[1:6]
    instance = dg.DagsterInstance.ephemeral()

    def run(keys):
        return dg.materialize(
            [*training_assets, *model_assets], instance=instance, raise_on_error=False,
            selection=[dg.AssetKey.from_user_string(k) for k in keys.split(",")],
            resources={"postgres": PostgresResource(database_url=url),
                       "artifacts": ArtifactStore(root=root)},
        )

    if before:
        assert run(before).success
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit raises EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), int(limit)))
    result = run(limited)
    for event in result.all_events:
        if event.is_step_failure:
            print("STEP FAILURE", event.step_key, event.step_failure_data.error.to_string())
    print("RUN", "success" if result.success else "failure", flush=True)
    sys.exit(0 if result.success else 1)
    """
)


def run_limited(url: str, root, before: str, limited: str) -> str:
    worker = spawn(RUN_LIMITED, url, str(root), str(LIMIT_BYTES), before, limited)
    output = finish(worker, timeout=240)
    assert worker.returncode == 1 and "RUN failure" in output, output
    return output[output.index("STEP FAILURE") : output.index("RUN failure")]


def files(directory) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


@pytest.mark.slow
def test_disk_full_while_writing_the_dataset_snapshot(world, tmp_path):
    with world.connect() as conn:
        short = shorter_window(conn)
    assert world.run(f"training/{TASK}", run_config=short).success  # the previous version
    with world.connect() as conn:
        before = fingerprint(conn, f"training.{TASK}")
        datasets = fingerprint(conn, "training.datasets")

    root = tmp_path / "full-disk"
    failure = run_limited(world.url, root, "", f"training/{TASK}")

    assert failure.startswith(f"STEP FAILURE training__{TASK}")
    assert "File too large" in failure
    assert str(root / "datasets" / TASK) in failure  # names where it could not write
    with world.connect() as conn:
        assert fingerprint(conn, f"training.{TASK}") == before
        assert fingerprint(conn, "training.datasets") == datasets
    assert files(root) == []  # neither a snapshot nor its half-written temporary file


@pytest.mark.slow
def test_disk_full_while_writing_the_model_artifact(world, tmp_path):
    root = tmp_path / "full-disk"
    failure = run_limited(world.url, root, f"training/{TASK}", f"models/{TASK}")

    assert failure.startswith(f"STEP FAILURE models__{TASK}")
    assert "File too large" in failure
    assert str(root / "models" / TASK) in failure
    with world.connect() as conn:
        assert conn.execute("select count(*) from training.datasets").fetchone()[0] == 1
        assert conn.execute("select count(*) from ml.models").fetchone()[0] == 0
        status, outcome = conn.execute(
            "select status, result from ml.audit_log where operation_type = 'training'"
        ).fetchone()
        assert status == "failure" and str(root / "models" / TASK) in outcome["error"]
    assert files(root / "models") == []
    assert len(files(root / "datasets")) == 1  # the snapshot, written before the limit


@pytest.mark.slow
def test_an_artifact_root_that_cannot_be_a_directory(world, tmp_path):
    with world.connect() as conn:
        short = shorter_window(conn)
    assert world.run(f"training/{TASK}", run_config=short).success
    with world.connect() as conn:
        before = fingerprint(conn, f"training.{TASK}")
        datasets = fingerprint(conn, "training.datasets")
    regular = tmp_path / "a-file"
    regular.write_text("not a directory")
    good = world.artifacts
    world.artifacts = ArtifactStore(root=str(regular / "artifacts"))

    dataset = world.run(f"training/{TASK}")  # a new version: its snapshot has nowhere to go
    assert not dataset.success
    error = step_failures(dataset)[f"training__{TASK}"]
    assert "Not a directory" in error and str(regular / "artifacts" / "datasets") in error
    with world.connect() as conn:
        assert fingerprint(conn, f"training.{TASK}") == before
        assert fingerprint(conn, "training.datasets") == datasets

    world.artifacts = good
    assert world.run(f"training/{TASK}").success
    world.artifacts = ArtifactStore(root=str(regular / "artifacts"))
    model = world.run(f"models/{TASK}", f"models/{TASK}_promotion")
    assert not model.success
    error = step_failures(model)[f"models__{TASK}"]
    assert "Not a directory" in error and str(regular / "artifacts" / "models") in error
    assert set(step_failures(model)) == {f"models__{TASK}"}
    with world.connect() as conn:
        assert conn.execute("select count(*) from ml.models").fetchone()[0] == 0
        assert conn.execute("select count(*) from ml.promotion_decisions").fetchone()[0] == 0
        assert conn.execute(
            "select status from ml.audit_log where operation_type = 'training'"
        ).fetchone()[0] == "failure"
    assert regular.read_text() == "not a directory"
