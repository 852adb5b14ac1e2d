"""Batch predictions: skipped without a production model, scored with one, replaced on re-run,
and joined to outcomes once the horizon has been observed."""

import pytest
from testkit import metadata

from platform_assets.models import registry

TASK = "demand_forecast"
DAY = "2026-06-28"


def _predictions(conn, task=TASK) -> int:
    return conn.execute(
        "select count(*) from ml.predictions where prediction_type = %s", (task,)
    ).fetchone()[0]


def test_without_a_production_model_predictions_are_skipped(world):
    result = world.run(*(f"predictions/{t}" for t in ("churn_risk", TASK)), partition=(DAY, DAY))
    assert result.success
    assert result.get_asset_materialization_events() == []
    messages = [entry.user_message for entry in world.instance.all_logs(result.run_id)]
    assert any("demand_forecast has no production model yet" in m for m in messages)
    with world.connect() as conn:
        assert _predictions(conn) == 0


@pytest.fixture
def scored(world):
    assert world.train(TASK).success
    return world


def test_scores_each_entity_of_the_day_with_the_production_model(scored):
    result = scored.run(f"predictions/{TASK}", partition=(DAY, DAY))
    assert result.success
    meta = metadata(result, f"predictions/{TASK}")
    with scored.connect() as conn:
        model = registry.production(conn, TASK)
        bins = conn.execute(
            "select count(*) from features.bin_daily where feature_ts = %s::date + 1", (DAY,)
        ).fetchone()[0]
        rows = conn.execute(
            "select model_id, partition_key, prediction_timestamp, entity_type,"
            " prediction_result, input_feature_hash from ml.predictions"
        ).fetchall()
    assert meta["dagster/row_count"] == bins == len(rows) > 0
    assert meta["model"] == model.label
    assert {r[0] for r in rows} == {model.id}
    assert {r[1] for r in rows} == {DAY}
    assert {r[2].isoformat() for r in rows} == {"2026-06-29T12:00:00+00:00"}
    assert {r[3] for r in rows} == {"bin"}
    assert all(r[4]["score"] >= 0 for r in rows) and all(len(r[5]) == 16 for r in rows)

    again = scored.run(f"predictions/{TASK}", partition=(DAY, DAY))
    assert again.success
    with scored.connect() as conn:
        assert _predictions(conn) == bins  # replaced, not appended


def test_outcomes_are_filled_once_the_horizon_is_observed(scored):
    # Days whose 7-day horizon ended before the history's last day get outcomes; the last days
    # do not yet.
    result = scored.run(f"predictions/{TASK}", partition=("2026-06-10", "2026-06-28"))
    assert result.success
    with scored.connect() as conn:
        known, open_, mean_error = conn.execute(
            "select count(*) filter (where actual_outcome is not null),"
            " count(*) filter (where actual_outcome is null),"
            " avg(abs(prediction_error)) from ml.predictions"
        ).fetchone()
        # A bin removed in the morning of an as-of date was scored (it had a row at midnight)
        # but has no label at noon: its outcome stays unknown. Every other one is filled.
        by_day = dict(conn.execute(
            "select p.partition_key, bool_and(p.actual_outcome is not null) from ml.predictions p"
            " where not exists (select 1 from staging.bins_history b where b.id = p.entity_id"
            "   and b.status = 'removed' and b.updated_at > p.prediction_timestamp - interval"
            "   '12 hours' and b.updated_at <= p.prediction_timestamp)"
            " group by 1"
        ).fetchall())
        mismatched = conn.execute(
            "select count(*) from ml.predictions"
            " where outcome_timestamp <> prediction_timestamp + interval '7 days'"
            " or abs(prediction_error - ((prediction_result->>'score')::float8"
            "        - (actual_outcome->>'label')::float8)) > 1e-9"
        ).fetchone()[0]
    assert known > 0 and open_ > 0 and mismatched == 0
    assert by_day["2026-06-10"] is True and by_day["2026-06-28"] is False
    assert 0 < mean_error < 30  # kg per bin and week; the mean label is about 21 kg


def test_a_model_is_not_scored_on_feature_versions_it_was_not_trained_on(scored):
    """Skew is refused: a view whose version changed since training (its SQL, schema or ttl)
    fails the prediction step with a message naming the view and both versions."""
    with scored.connect() as conn:
        trained = registry.production(conn, TASK).feature_set_version["bin_daily"]
        conn.execute(  # the view re-registered under a new version, as a code change would
            "insert into features.registry (view_name, version, entity_key, ttl,"
            " feature_columns, source_tables, code_version, row_count, created_at)"
            " select view_name, 'changed00000000', entity_key, ttl, feature_columns,"
            " source_tables, code_version, row_count, now() + interval '1 second'"
            " from features.registry where view_name = 'bin_daily' and version = %s",
            (trained,),
        )
    result = scored.run(f"predictions/{TASK}", partition=(DAY, DAY))
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message
    assert f"bin_daily: trained on {trained}, the store holds changed00000000" in message
    with scored.connect() as conn:
        assert _predictions(conn) == 0


def test_production_reads_the_topic_fit_it_was_trained_on_after_a_new_fit(world):
    """A new topic fit (here k=5) adds a version beside the old one; churn_risk's production
    model, trained on the old fit, goes on scoring the old fit's counts: the same inputs as before
    the new fit, not the new topics' (nor a failure)."""
    task, topics_key = "churn_risk", "features/customer_topics_daily"

    def inputs() -> list:
        with world.connect() as conn:
            return conn.execute(
                "select entity_id, input_feature_hash from ml.predictions"
                " where prediction_type = %s order by entity_id", (task,)
            ).fetchall()

    assert world.train(task).success
    assert world.run(f"predictions/{task}", partition=(DAY, DAY)).success
    before = inputs()
    new_fit = world.run(topics_key, partition=(DAY, DAY), run_config={
        "ops": {"features__customer_topics_daily": {"config": {"k": 5}}}
    })
    assert new_fit.success
    meta = metadata(new_fit, topics_key)
    with world.connect() as conn:
        trained = registry.production(conn, task).feature_set_version["customer_topics_daily"]
        old_fit = conn.execute(
            "select variant from features.registry where view_name = 'customer_topics_daily'"
            " and version = %s", (trained,),
        ).fetchone()[0]
    assert meta["new_fit"] is True and meta["fit_id"] != old_fit
    assert meta["fits_kept_for_production"] == old_fit
    assert world.run(f"predictions/{task}", partition=(DAY, DAY)).success
    assert inputs() == before and len(before) > 100
