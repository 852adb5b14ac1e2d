"""Failures inside a run: a blocking Great Expectations check that really fails, and a model
that cannot be trained. Each stops the run at its step and nothing downstream happens."""

import pytest
from fault_jobs import TASK
from fault_tools import materialized, step_failures

VIEW = "features/vehicle_daily"


@pytest.mark.slow
def test_a_failing_blocking_check_stops_the_dataset_build(world):
    with world.connect() as conn:
        day = conn.execute("select max(route_date) from staging.routes").fetchone()[0]
        # Negative distances land in staging (ingest would have rejected them), so the view's
        # 30-day km of that day goes below zero.
        corrupted = conn.execute(
            "update staging.routes set total_distance_km = -5000 where route_date = %s", (day,)
        ).rowcount
        assert corrupted > 0
    partition = day.isoformat()

    result = world.run(VIEW, f"training/{TASK}", partition=(partition, partition))

    assert not result.success
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert "km_30d_in_range" in failed
    assert set(step_failures(result)) == {"features__vehicle_daily"}
    assert materialized(result) == {VIEW}  # the rows are written; the check stops what follows
    with world.connect() as conn:
        observed = conn.execute(
            "select passed, severity, observed from quality.check_results"
            " where asset_key = %s and check_name = 'km_30d_in_range' and partition_key = %s",
            (VIEW, partition),
        ).fetchall()
        assert [(passed, severity) for passed, severity, _ in observed] == [(False, "error")]
        assert conn.execute("select count(*) from training.datasets").fetchone()[0] == 0
        assert conn.execute(
            "select to_regclass(%s)", (f"training.{TASK}",)
        ).fetchone()[0] is None  # never built


@pytest.mark.slow
def test_a_single_class_training_split_fails_the_model_and_stops_the_gate(world):
    assert world.run(f"training/{TASK}").success
    with world.connect() as conn:
        valid_from = conn.execute(
            f"select min(label_ts) from training.{TASK} where split = 'valid'"
        ).fetchone()[0]
        # No breakdown before the valid weeks' horizons: every training label is 0, while the
        # later splits keep theirs (so the dataset's own balance check still passes).
        removed = conn.execute(
            "delete from staging.service_events where event_type = 'breakdown'"
            " and service_date <= %s + interval '14 days'",
            (valid_from,),
        ).rowcount
        assert removed > 0

    result = world.train(TASK)

    assert not result.success
    assert set(step_failures(result)) == {f"models__{TASK}"}
    assert "training rows hold one class only" in step_failures(result)[f"models__{TASK}"]
    assert materialized(result) == {f"training/{TASK}"}  # no model, and the gate never ran
    with world.connect() as conn:
        version = conn.execute(
            "select version from training.datasets order by created_at desc limit 1"
        ).fetchone()[0]
        balance = conn.execute(
            "select label, count(*) from training.maintenance_prediction where split = 'train'"
            " group by label"
        ).fetchall()
        assert balance and {label for label, _ in balance} == {0}
        status, params, outcome = conn.execute(
            "select status, params, result from ml.audit_log where operation_type = 'training'"
        ).fetchone()
        assert status == "failure"
        assert params == {"model_name": TASK, "dataset_version": version}
        assert outcome["error"] == f"ValueError: {TASK}: training rows hold one class only"
        assert conn.execute("select count(*) from ml.models").fetchone()[0] == 0
        assert conn.execute("select count(*) from ml.promotion_decisions").fetchone()[0] == 0
