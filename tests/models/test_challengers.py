"""Shadow challengers: a candidate the gate kept out only for the comparison with production is
scored every night beside it on the same entities, measured on the same live outcomes, compared
by `models compare` with a confidence interval, and read by the gate once enough are known."""

import dataclasses

import pytest
from testkit import metadata, run_main

from platform_assets.models import gate, registry
from platform_assets.models.specs import MODEL_SPECS
from platform_assets.models.train import load_dataset

TASK = "demand_forecast"
FIRST, LAST = "2026-06-10", "2026-06-16"  # a 7-day horizon: outcomes known by 2026-06-30


@pytest.fixture
def shadowed(world):
    """Production v1 and a v2 the gate blocked on the comparison with production alone (a
    negative tolerance: v2 must beat production by half a naive MAE, which no model does)."""
    assert world.train(TASK).success
    candidate = world.candidate(TASK, learning_rate=0.08)
    spec = dataclasses.replace(MODEL_SPECS[TASK], tolerance=-0.5)
    with world.connect() as conn:
        decision = gate.decide(conn, spec, candidate, "test", None, overrides={"tolerance": -0.5})
        assert "not_worse_than_production" in decision.failed
        assert set(decision.failed) <= {"not_worse_than_production", "feature_drift"}
        assert [c.id for c in registry.challengers(conn, TASK, 2)] == [candidate.id]
    result = world.run(f"predictions/{TASK}", partition=(FIRST, LAST))
    assert result.success
    return world, candidate, metadata(result, f"predictions/{TASK}")


def test_a_challenger_scores_beside_production_and_compares_on_the_same_entities(
    shadowed, monkeypatch, capsys
):
    world, candidate, meta = shadowed
    with world.connect() as conn:
        production = registry.production(conn, TASK)
        rows = conn.execute(
            "select role, model_id, count(*), count(actual_outcome), count(top_features)"
            " from ml.predictions group by role, model_id order by role desc"
        ).fetchall()
        unpaired = conn.execute(
            "select count(*) from ml.predictions c where c.role = 'challenger' and not exists"
            " (select from ml.predictions p where p.role = 'champion'"
            "  and (p.partition_key, p.entity_id) = (c.partition_key, c.entity_id))"
        ).fetchone()[0]
    (champion_role, champion_id, n, known, explained), \
        (challenger_role, challenger_id, m, known_c, top) = rows
    assert (champion_role, champion_id) == ("champion", production.id)
    assert (challenger_role, challenger_id) == ("challenger", candidate.id)
    assert n == m == meta["dagster/row_count"] > 0 and unpaired == 0
    assert known == known_c > 0.99 * n  # outcomes filled for both roles the same way
    assert explained == n and top == 0  # explanations are for production's predictions only
    assert meta["challengers"] == {candidate.label: m}

    # Re-scoring replaces both roles' rows, it does not append.
    assert world.run(f"predictions/{TASK}", partition=(FIRST, LAST)).success
    with world.connect() as conn:
        assert conn.execute("select count(*) from ml.predictions").fetchone()[0] == n + m

    # The dashboard: the challenger's rows beside the champion's on the same entities.
    assert world.run("dashboards/model_performance_daily").success
    with world.connect() as conn:
        rows = conn.execute(
            "select c.day, c.mae, c.champion_mae, p.mae, c.champion_outcomes_known,"
            " p.outcomes_known from analytics.model_performance_daily c"
            " join analytics.model_performance_daily p on p.day = c.day and p.role = 'champion'"
            " where c.role = 'challenger' and c.model_version = %s",
            (candidate.model_version,),
        ).fetchall()
    assert len(rows) == 7
    for _, mae, champion_mae, production_mae, paired, outcomes in rows:
        # every entity both scored: the champion's figures on the pairs are its own figures
        assert champion_mae == pytest.approx(production_mae) and paired == outcomes
        assert mae is not None and mae != champion_mae

    # models compare: both on live outcomes, with a confidence interval of the difference.
    monkeypatch.setenv("DATABASE_URL", world.url)
    capsys.readouterr()  # the runs' logs so far
    code, out, err = run_main(capsys, "models", "compare", TASK)
    assert (code, err) == (0, "")
    assert f"challengers against {TASK} v1 (production) on live outcomes" in out
    line = next(row for row in out.splitlines() if row.startswith(f"| {candidate.label}"))
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    label, status, pairs, entities, mae, production_mae, difference, ci = cells
    with world.connect() as conn:
        known = conn.execute("select count(*) from ml.predictions where role = 'challenger'"
                             " and actual_outcome is not null").fetchone()[0]
    assert (label, status, int(pairs)) == (candidate.label, "staging", known)
    assert float(difference) == pytest.approx(float(mae) - float(production_mae), abs=2e-3)
    low, high = (float(v) for v in ci.strip("[]").split(","))
    assert low <= float(difference) <= high

    code, out, _ = run_main(capsys, "models", "compare", "churn_risk")
    assert code == 0 and "no production model" in out


def test_the_gate_reads_live_outcomes_once_enough_are_known(shadowed):
    world, candidate, _ = shadowed
    spec = dataclasses.replace(MODEL_SPECS[TASK], tolerance=0.5)  # passes on the test rows
    with world.connect() as conn:
        dataset = load_dataset(conn, TASK, candidate.training_data_version)
        waiting = gate.production_rule(
            conn, dataclasses.replace(spec, min_live_outcomes=10**9), candidate, dataset)
        assert waiting.passed and waiting.observed["live"]["counted"] is False
        pairs = waiting.observed["live"]["pairs"]
        assert pairs > 0

        # Plant the truth: every outcome is exactly what production predicted, so the
        # challenger is worse live (MAE above production's zero) however it did on test rows.
        conn.execute(
            "update ml.predictions p set actual_outcome = jsonb_build_object('label',"
            " (c.prediction_result ->> 'score')::float8) from ml.predictions c"
            " where c.role = 'champion' and (c.partition_key, c.entity_id)"
            " = (p.partition_key, p.entity_id) and p.actual_outcome is not null"
        )
        counted = gate.production_rule(
            conn, dataclasses.replace(spec, min_live_outcomes=pairs), candidate, dataset)
    live = counted.observed["live"]
    assert not counted.passed and live["counted"] is True and live["pairs"] == pairs
    assert live["champion"] == 0 and live["challenger"] > 0
