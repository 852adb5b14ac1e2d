"""`platform-assets models ...` against a trained world: list, show, gated and forced promotion,
rollback, and clear errors."""

import pytest
from testkit import run_main

TASK = "demand_forecast"


@pytest.fixture
def cli(world, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", world.url)

    def run(*args: str) -> tuple[int, str, str]:
        return run_main(capsys, "models", *args)

    return run


def test_models_commands(world, cli):
    assert cli("list") == (0, "(no models registered)\n", "")
    assert world.train(TASK).success
    world.candidate(TASK, max_iter=3)  # a weaker v2 beside production v1

    code, out, _ = cli("list")
    assert code == 0
    assert "| demand_forecast |         1 | production | mae_vs_naive=" in out
    assert "| demand_forecast |         2 | staging" in out

    code, out, _ = cli("show", TASK)
    assert code == 0 and f"{TASK} v1 (production)" in out and "sha256" in out

    code, out, _ = cli("promote", TASK, "2")  # worse than production: the gate says no
    assert code == 2
    assert "blocked by" in out and "FAIL not_worse_than_production" in out

    code, _, err = cli("promote", TASK, "2", "--force")
    assert code == 1 and "--force needs --reason" in err

    code, out, _ = cli("promote", TASK, "2", "--force", "--reason", "hotfix drill")
    assert code == 0 and "promoted by force (hotfix drill)" in out

    code, out, _ = cli("rollback", TASK)
    assert code == 0 and f"{TASK} v1 is back in production; {TASK} v2 rolled back" in out

    code, out, _ = cli("promote", TASK, "2")  # rolled back: only a forced promotion brings it back
    assert code == 2 and "FAIL promotable" in out and "--force --reason" in out

    world.candidate(TASK, verified=False, max_iter=7)  # v3: its artifact was never verified
    code, out, _ = cli("promote", TASK, "3")
    assert code == 2 and "FAIL artifact_verified" in out and "no artifact_verifies" in out

    code, out, _ = cli("deny", TASK, "3", "--reason", "trained on a bad week")
    assert code == 0 and f"{TASK} v3 denied" in out
    code, out, _ = cli("show", TASK)
    assert "| demand_forecast |         3 | denied" in out
    assert "decision" in out and "blocked by cli:" in out

    with world.connect() as conn:
        ops = conn.execute(
            "select operation_type, status, actor from ml.audit_log"
            " where actor like 'cli:%%' order by logged_at"
        ).fetchall()
        forced = conn.execute(
            "select reasons from ml.promotion_decisions where decision = 'promoted'"
            " order by decided_at desc limit 1"
        ).fetchone()[0]
    assert [op[:2] for op in ops] == [
        ("gate_decision", "blocked"),
        ("forced_promotion", "success"),
        ("retirement", "success"),
        ("promotion", "success"),
        ("rollback", "success"),
        ("gate_decision", "blocked"),
        ("gate_decision", "blocked"),
        ("denial", "success"),
    ]
    assert forced[-1] == {
        "rule": "forced", "passed": True, "observed": {"reason": "hotfix drill"}, "threshold": None
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "nope"), "unknown model 'nope'"),
        (("list", "x; drop table ml.models"), "invalid identifier"),
        (("promote", TASK, "9"), "demand_forecast has no version 9"),
        (("rollback", TASK), "has no production version to roll back"),
    ],
)
def test_models_errors_are_clear(cli, args, message):
    code, _, err = cli(*args)
    assert code == 1 and message in err and "Traceback" not in err
