"""Registry rules held by the database and the registry module: versions, one production per
name under concurrent promotions, rollback, audit, and artifacts that refuse to load when
their bytes changed."""

import psycopg
import pytest
from testkit import metadata, run_together

from platform_assets.models import artifact, gate, registry
from platform_assets.models.cli import registry_table
from platform_assets.models.specs import MODEL_SPECS

TASK = "demand_forecast"


@pytest.fixture
def trained(world):
    """The world with demand_forecast v1 in production."""
    result = world.train(TASK)
    assert metadata(result, f"models/{TASK}_promotion")["decision"] == "promoted"
    return world


def _status(conn) -> dict[int, str]:
    return dict(conn.execute(
        "select model_version, deployment_status from ml.models where model_name = %s", (TASK,)
    ).fetchall())


def test_versions_increase_and_statuses_are_checked(trained):
    assert [trained.candidate(TASK, max_iter=n).model_version for n in (20, 30)] == [2, 3]
    with trained.connect() as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("update ml.models set deployment_status = 'live'")


def test_the_database_allows_one_production_version_per_name(trained):
    candidate = trained.candidate(TASK, max_iter=20)
    with trained.connect() as conn:
        with pytest.raises(psycopg.errors.UniqueViolation, match="models_one_production"):
            conn.execute(
                "update ml.models set deployment_status = 'production' where id = %s",
                (candidate.id,),
            )


def test_two_concurrent_promotions_leave_one_production_version(trained):
    first, second = trained.candidate(TASK, max_iter=20), trained.candidate(TASK, max_iter=30)

    def promote(candidate):
        with psycopg.connect(trained.url, autocommit=True) as conn:
            with registry.locked(conn, TASK):
                registry.promote_locked(conn, candidate, "test", None, {})

    assert run_together(promote, [(first,), (second,)]) == []
    with trained.connect() as conn:
        statuses = _status(conn)
        assert list(statuses.values()).count("production") == 1
        assert statuses[1] == "retired"
        winner = registry.production(conn, TASK)
        assert winner.model_version in (2, 3)
        loser = 5 - winner.model_version
        assert statuses[loser] == "retired"  # promoted first, then replaced by the winner
        # the winner replaced the one promoted just before it, which replaced v1
        assert registry.get(conn, winner.rollback_model_id).model_version == loser
        promotions = conn.execute(
            "select count(*) from ml.audit_log where operation_type = 'promotion'"
        ).fetchone()[0]
        assert promotions == 3


def test_two_concurrent_gate_decisions_queue_and_the_second_sees_the_first(trained):
    """The gate evaluates its rules under the name's lock: the later of two concurrent decisions
    compares its candidate with whatever the earlier one left in production, and both are
    recorded and audited."""
    first, second = trained.candidate(TASK, max_iter=150), trained.candidate(TASK, max_iter=200)

    def decide(candidate):
        with psycopg.connect(trained.url, autocommit=True) as conn:
            gate.decide(conn, MODEL_SPECS[TASK], candidate, "test", None)

    assert run_together(decide, [(first,), (second,)]) == []
    with trained.connect() as conn:
        rows = conn.execute(
            "select m.model_name || ' v' || m.model_version, d.decision, d.reasons"
            " from ml.promotion_decisions d join ml.models m on m.id = d.model_id"
            " order by d.decided_at"
        ).fetchall()
        audited = conn.execute(
            "select count(*) from ml.audit_log where operation_type = 'gate_decision'"
        ).fetchone()[0]
        production = registry.production(conn, TASK)
    (_, promoted_v1, _), earlier, later = rows  # v1's own promotion, then the two
    assert promoted_v1 == "promoted" and audited == 3
    expected = earlier[0] if earlier[1] == "promoted" else f"{TASK} v1"
    compared = next(r for r in later[2] if r["rule"] == "not_worse_than_production")
    assert compared["observed"]["production_model"] == expected
    assert production.label == (later[0] if later[1] == "promoted" else expected)


def test_rollback_restores_the_previous_version_and_is_audited(trained):
    v2 = trained.candidate(TASK, max_iter=20)
    with trained.connect() as conn:
        v1 = registry.production(conn, TASK)
        with registry.locked(conn, TASK):
            registry.promote_locked(conn, v2, "test", None, {})
        assert registry.production(conn, TASK).id == v2.id
        assert registry.get(conn, v2.id).rollback_model_id == v1.id

        restored, rolled_back = registry.rollback(conn, TASK, "cli:tester")
        assert (restored.id, rolled_back.id) == (v1.id, v2.id)
        assert _status(conn) == {1: "production", 2: "rolled_back"}
        actor, params, result = conn.execute(
            "select actor, params, result from ml.audit_log where operation_type = 'rollback'"
        ).fetchone()
        assert actor == "cli:tester"
        assert (params["from_version"], params["to_version"]) == (2, 1)
        assert result == {"restored": f"{TASK} v1", "rolled_back": f"{TASK} v2"}
        with pytest.raises(registry.RegistryError, match="nothing to roll back to"):
            registry.rollback(conn, TASK, "cli:tester")  # v1 replaced no earlier version
        assert "| demand_forecast |         1 | production" in registry_table(conn)


def test_an_artifact_whose_hash_does_not_match_refuses_to_load(trained):
    with trained.connect() as conn:
        model = registry.production(conn, TASK)
    assert artifact.load(model.artifact_path, model.artifact_sha256).task == TASK
    with open(model.artifact_path, "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(artifact.ArtifactHashMismatch, match="refusing to load"):
        artifact.load(model.artifact_path, model.artifact_sha256)
    # Scoring with the tampered production model fails instead of predicting.
    result = trained.run(f"predictions/{TASK}", partition=("2026-06-29", "2026-06-29"))
    assert not result.success
    with trained.connect() as conn:
        assert conn.execute("select count(*) from ml.predictions").fetchone()[0] == 0
