"""The promotion gate on a simulated world: each rule blocks on its own, and a clean run promotes.

Demand is the task here: its signal is strong even in a small world, so a clean run clears every
rule and each failure below is the one the test planted.
"""

import os

from testkit import metadata

from platform_assets.features.assets import write_view
from platform_assets.features.views import VIEWS_BY_NAME
from platform_assets.models import gate, registry
from platform_assets.models.specs import MODEL_SPECS
from platform_assets.models.train import load_dataset

TASK = "demand_forecast"
SPEC = MODEL_SPECS[TASK]


def _statuses(conn) -> dict[int, str]:
    rows = conn.execute(
        "select model_version, deployment_status from ml.models where model_name = %s",
        (TASK,),
    ).fetchall()
    return dict(rows)


def _latest_decision(conn) -> tuple[str, list[dict]]:
    return conn.execute(
        "select d.decision, d.reasons from ml.promotion_decisions d join ml.models m"
        " on m.id = d.model_id where m.model_name = %s order by d.decided_at desc limit 1",
        (TASK,),
    ).fetchone()


def _failed(reasons: list[dict]) -> dict[str, dict]:
    return {r["rule"]: r["observed"] for r in reasons if not r["passed"]}


def test_a_clean_run_trains_registers_and_promotes(world):
    result = world.train(TASK)
    assert result.success
    model = metadata(result, f"models/{TASK}")
    assert model["model_version"] == 1 and model["new_version"] is True
    assert model["test_mae_vs_naive"] < SPEC.floor  # learned more than last week's kg
    promotion = metadata(result, f"models/{TASK}_promotion")
    assert promotion["decision"] == "promoted" and promotion["failed_rules"] == []
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["artifact_verifies"] is True

    with world.connect() as conn:
        assert _statuses(conn) == {1: "production"}
        row = registry.production(conn, TASK)
        dataset = conn.execute(
            "select version, feature_views from training.datasets where task = %s", (TASK,)
        ).fetchone()
        assert (row.training_data_version, row.feature_set_version) == dataset
        assert row.run_id == result.run_id and row.deployed_at is not None
        assert {"mae", "rmse", "mape", "naive_mae"} <= set(row.test_metrics)
        decision, reasons = _latest_decision(conn)
        assert decision == "promoted"
        assert [r["rule"] for r in reasons] == [
            "promotable", "artifact_verified", "lineage_checks", "metric_floor",
            "not_worse_than_production", "feature_drift",
        ]
        audit = conn.execute(
            "select operation_type, status, actor from ml.audit_log order by logged_at"
        ).fetchall()
        assert [a[:2] for a in audit] == [
            ("training", "success"), ("gate_decision", "success"), ("promotion", "success")
        ]
        assert all(actor == "user:dagster" for *_, actor in audit)

    again = world.train(TASK)  # same dataset, same code: no new version, nothing to decide
    assert metadata(again, f"models/{TASK}")["new_version"] is False
    assert metadata(again, f"models/{TASK}_promotion")["decision"] == "unchanged"


def test_a_corrupted_feature_partition_blocks_promotion(world):
    assert world.train(TASK).success
    with world.connect() as conn:
        production = registry.production(conn, TASK)
        # Out-of-range fill levels land in staging (ingest would have quarantined them).
        conn.execute(
            "update staging.service_events set fill_level_pct = 400"
            " where service_date >= '2026-05-18' and service_date < '2026-05-25'"
            " and fill_level_pct is not null"
        )
    rebuilt = world.run("features/bin_daily", partition=("2026-05-18", "2026-05-24"))
    failed = [e.check_name for e in rebuilt.get_asset_check_evaluations() if not e.passed]
    assert "avg_fill_level_28d_in_range" in failed or "max_fill_level_28d_in_range" in failed

    result = world.train(TASK)  # a new dataset version from the corrupted rows, a new candidate
    assert metadata(result, f"models/{TASK}")["model_version"] == 2
    assert metadata(result, f"models/{TASK}_promotion")["decision"] == "blocked"
    with world.connect() as conn:
        assert _statuses(conn) == {1: "production", 2: "staging"}
        assert registry.production(conn, TASK).id == production.id
        decision, reasons = _latest_decision(conn)
        assert decision == "blocked"
        lineage = _failed(reasons)["lineage_checks"]
        names = {f["check"] for f in lineage["failed"]}
        assert names & {"avg_fill_level_28d_in_range", "max_fill_level_28d_in_range"}
        assert {f["asset"] for f in lineage["failed"]} == {"features/bin_daily"}
        # The first of the corrupted days the weekly label grid joined.
        first_failed = min(f["first_failed_day"] for f in lineage["failed"])
        assert "2026-05-18" <= first_failed <= "2026-05-24"


def test_the_gate_decides_the_same_in_a_later_run(world):
    """The gate reads recorded check results, not the run it is in."""
    assert world.run(f"training/{TASK}", f"models/{TASK}").success
    later = world.run(f"models/{TASK}_promotion")
    assert metadata(later, f"models/{TASK}_promotion")["decision"] == "promoted"


def test_a_worse_model_is_not_promoted(world):
    assert world.train(TASK).success
    candidate = world.candidate(TASK, max_iter=3, max_leaf_nodes=2)
    assert candidate.model_version == 2
    with world.connect() as conn:
        production = registry.production(conn, TASK)
        dataset = load_dataset(conn, TASK, production.training_data_version)
        decision = gate.decide(conn, SPEC, candidate, "test", None)
        assert not decision.promoted
        observed = _failed(decision.reasons())["not_worse_than_production"]
        assert observed["candidate"] > observed["production"]  # ratio of MAE: higher is worse
        assert observed["rows"] == len(dataset.frame.query("split == 'test'"))
        assert registry.production(conn, TASK).id == production.id
        assert _statuses(conn) == {1: "production", 2: "staging"}


def test_feature_drift_blocks(world):
    assert world.run(f"training/{TASK}", f"models/{TASK}").success
    with world.connect() as conn:  # the latest fortnight's bins suddenly fill three times faster
        conn.execute(
            "update features.bin_daily set kg_collected_7d = kg_collected_7d * 3 + 50,"
            " kg_collected_28d = kg_collected_28d * 3 + 50"
            " where feature_ts > '2026-06-16'"
        )
    result = world.run(f"models/{TASK}_promotion")
    assert metadata(result, f"models/{TASK}_promotion")["decision"] == "blocked"
    with world.connect() as conn:
        _, reasons = _latest_decision(conn)
        failed = _failed(reasons)
        assert set(failed) == {"feature_drift"}
        assert set(failed["feature_drift"]["drifted"]) >= {"bin_daily__kg_collected_7d"}
        assert registry.production(conn, TASK) is None
        assert _statuses(conn) == {1: "staging"}


def test_gate_thresholds_come_from_run_config(world):
    result = world.train(TASK, gate_config={"floor": 0.1})  # MAE at most 0.1x naive: too strict
    assert result.success
    assert metadata(result, f"models/{TASK}_promotion")["failed_rules"] == ["metric_floor"]
    with world.connect() as conn:
        _, reasons = _latest_decision(conn)
        floor = next(r for r in reasons if r["rule"] == "metric_floor")
        assert floor["threshold"] == "mae_vs_naive <= 0.1"
        # The override is part of the record: on the decision and in the audit log, with who.
        overrides, actor = conn.execute(
            "select overrides, actor from ml.promotion_decisions order by decided_at desc limit 1"
        ).fetchone()
        params, audit_actor = conn.execute(
            "select params, actor from ml.audit_log where operation_type = 'gate_decision'"
        ).fetchone()
    assert overrides == {"floor": 0.1} and params["overrides"] == {"floor": 0.1}
    assert actor == audit_actor and actor


def test_a_rolled_back_version_is_not_promoted_again_by_the_weekly_job(world):
    """Rollback is sticky: the weekly job retrains to the same registry row (same dataset, same
    code) and the gate refuses it, naming why; the restored version stays in production."""
    assert world.run(f"training/{TASK}").success
    earlier = world.candidate(TASK, max_iter=60)  # v1: what production was before this week
    with world.connect() as conn:
        assert gate.decide(conn, SPEC, earlier, "test", None, force_reason="baseline").promoted
    first = world.train(TASK)  # v2: the weekly job's model, better than v1, promoted
    assert metadata(first, f"models/{TASK}_promotion")["decision"] == "promoted"
    with world.connect() as conn:
        registry.rollback(conn, TASK, "cli:oncall")
        assert _statuses(conn) == {1: "production", 2: "rolled_back"}

    again = world.train(TASK)  # the next week, nothing changed
    promotion = metadata(again, f"models/{TASK}_promotion")
    assert metadata(again, f"models/{TASK}")["model_version"] == 2
    assert promotion["decision"] == "blocked" and promotion["failed_rules"] == ["promotable"]
    with world.connect() as conn:
        _, reasons = _latest_decision(conn)
        assert _failed(reasons)["promotable"]["status"] == "rolled_back"
        assert _statuses(conn) == {1: "production", 2: "rolled_back"}


def test_a_training_failure_is_audited_and_stops_the_gate(world):
    assert world.run(f"training/{TASK}").success
    with world.connect() as conn:  # the snapshot the registry points to is gone
        path = conn.execute("select parquet_path from training.datasets").fetchone()[0]
    os.remove(path)
    result = world.run(f"models/{TASK}", f"models/{TASK}_promotion")
    assert not result.success
    materialized = {
        e.event_specific_data.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
    }
    assert materialized == set()  # the gate did not run after the failed training
    with world.connect() as conn:
        assert conn.execute("select count(*) from ml.promotion_decisions").fetchone()[0] == 0
        status, result_json = conn.execute(
            "select status, result from ml.audit_log where operation_type = 'training'"
        ).fetchone()
        assert status == "failure" and "FileNotFoundError" in result_json["error"]
        assert conn.execute("select count(*) from ml.models").fetchone()[0] == 0


def _corrupt_fill_levels(world, first: str, last: str) -> None:
    with world.connect() as conn:  # out-of-range fill levels land in staging
        conn.execute(
            "update staging.service_events set fill_level_pct = 400"
            " where service_date >= %s and service_date < %s::date + 1"
            " and fill_level_pct is not null",
            (first, last),
        )


def test_a_day_written_without_its_checks_blocks_with_the_day_named(world):
    """A run killed between its write and its checks leaves days whose rows have no evidence:
    a dataset built on them is blocked, and the decision names the first such day."""
    with world.connect() as conn:
        conn.execute(  # a late correction of a week's weights, then the write path alone
            "update staging.service_events set weight_kg = weight_kg + 1"
            " where service_date >= '2026-06-01' and service_date < '2026-06-08'"
        )
        write_view(conn, VIEWS_BY_NAME["bin_daily"], "2026-06-01", "2026-06-07", "killed")
    result = world.train(TASK)
    assert metadata(result, f"models/{TASK}_promotion")["decision"] == "blocked"
    with world.connect() as conn:
        _, reasons = _latest_decision(conn)
    lineage = _failed(reasons)["lineage_checks"]
    assert lineage["failed"] == []
    [unchecked] = lineage["unchecked"]
    assert unchecked.startswith("unchecked: bin_daily 2026-06-0")


def test_evidence_is_the_rows_trained_on_not_what_came_later_or_outside(world):
    """The gate judges the rows the dataset read: corrupting and re-checking days after the
    build (some the dataset read, some beyond its window) changes nothing it decides."""
    assert world.run(f"training/{TASK}", f"models/{TASK}").success
    _corrupt_fill_levels(world, "2026-05-18", "2026-05-24")  # read by the dataset
    _corrupt_fill_levels(world, "2026-06-27", "2026-06-30")  # after its last label date
    for first, last in (("2026-05-18", "2026-05-24"), ("2026-06-27", "2026-06-30")):
        rebuilt = world.run("features/bin_daily", partition=(first, last))
        assert not all(e.passed for e in rebuilt.get_asset_check_evaluations())
    later = world.run(f"models/{TASK}_promotion")
    assert metadata(later, f"models/{TASK}_promotion")["decision"] == "promoted"
