"""Daily drift statistics on a trained world: the stats of an ordinary day against pandas, a
planted shift caught on exactly its feature and day, the score statistics and live metric, and
the drift alert reaching real receivers (or failing to, without failing anything)."""

import re
from datetime import date

import dagster as dg
import pandas as pd
import psycopg
import pytest
from alert_receivers import smtp_server, webhook_server
from drift_world import DAY, DAY_BEFORE, OUTCOME_DAY, TASK
from testkit import free_port, metadata

from platform_assets.access.roles import analyst_url, apply_roles
from platform_assets.alerts import AlertsResource
from platform_assets.alerts.sensors import DRIFT_ALERTS, drift_alerts
from platform_assets.dashboards.assets import refresh_view
from platform_assets.dashboards.views import VIEWS_BY_NAME
from platform_assets.models import drift, registry
from platform_assets.monitoring import drift_stats
from platform_assets.settings import PROJECT_ROOT

FEATURES = "monitoring/feature_stats_daily"
PREDICTIONS = "monitoring/prediction_stats_daily"
PLANTED = "avg_fill_level_7d"  # a fill level column of features.bin_daily
ANALYST_PASSWORD = "analyst-drift-pw"


def readme_drift_query() -> str:
    """The README's "which features drifted yesterday" query, as written."""
    text = (PROJECT_ROOT / "README.md").read_text()
    return re.search(r"<!-- drift-query -->\s*\n```sql\n(.*?)\n```", text, re.DOTALL).group(1)


def frame(conn, query: str, params=()) -> pd.DataFrame:
    cursor = conn.execute(query, params)
    return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])


def bin_rows(conn, first: str, last: str) -> pd.DataFrame:
    """features.bin_daily rows of the days [first, last], with their day."""
    rows = frame(conn, "select *, (feature_ts at time zone 'UTC')::date - 1 as day"
                 " from features.bin_daily where feature_ts between %s::date + 1 and %s::date + 1",
                 (first, last))
    rows["day"] = pd.to_datetime(rows["day"]).dt.date
    return rows


def stats(conn, day: str, view: str = "bin_daily") -> pd.DataFrame:
    return frame(conn, "select * from monitoring.feature_stats_daily"
                 " where view_name = %s and day = %s", (view, day)).set_index("feature")


def test_the_psi_is_that_of_models_drift():
    assert drift_stats.PSI_FLOOR == drift._FLOOR  # the SQL floors shares as drift.psi does
    assert drift_stats.PSI_WARN == 0.1  # drift.py's reading: < 0.1 stable


def test_an_ordinary_day_matches_pandas_and_does_not_alert(world):
    result = world.run(FEATURES, partition=(DAY, DAY))
    assert result.success
    with world.connect() as conn:
        model = registry.production(conn, TASK)
        window = conn.execute(
            "select min(window_first), max(window_last) from monitoring.drift_reference"
            " where model_id = %s", (model.id,)).fetchone()
        assert window[1] < date.fromisoformat(DAY_BEFORE)  # out of the reference's sample
        day = bin_rows(conn, DAY, DAY)
        reference = bin_rows(conn, *map(str, window))
        reference = reference[pd.to_datetime(reference["day"]).dt.day_of_week
                              == date.fromisoformat(DAY).weekday()]
        got = stats(conn, DAY)
        others = conn.execute("select count(*) from monitoring.feature_stats_daily"
                              " where view_name <> 'bin_daily' and psi is not null").fetchone()[0]
        total = conn.execute("select count(*) from monitoring.feature_stats_daily").fetchone()[0]

    assert metadata(result, FEATURES)["dagster/row_count"] == total >= len(got)
    for feature in ("avg_fill_level_7d", "days_since_service", "kg_collected_28d"):
        values = day[feature].astype(float)
        row = got.loc[feature]
        assert row.row_count == len(day)
        assert row.null_rate == pytest.approx(values.isna().mean(), abs=1e-12)
        assert row["mean"] == pytest.approx(values.mean(), rel=1e-9)
        assert row.p50 == pytest.approx(values.median(), rel=1e-9)
        assert row.p05 == pytest.approx(values.quantile(0.05), rel=1e-9)
        # The same PSI as models/drift.py over the reference rows of the day's weekday.
        assert row.psi == pytest.approx(
            drift.psi(reference[feature].astype(float), values, int(row.bins)), rel=1e-6, abs=1e-9)
    assert got.loc["bin_type"].psi == pytest.approx(
        drift.psi(reference["bin_type"], day["bin_type"]), rel=1e-6, abs=1e-9)
    assert pd.isna(got.loc["bin_type"]["mean"])  # text: no mean
    # Every feature the model reads has a PSI; the calendar ones are exempt; nothing drifts.
    assert got["psi"].notna().all()
    assert set(got.index[got["level"] == "exempt"]) == {"weekday", "month"}
    assert (got["level"] == "ok").sum() == len(got) - 2, got[["psi", "level"]]
    assert others == 0  # no production model reads the other views: no PSI


def test_a_planted_shift_alerts_on_its_feature_and_day_only(world):
    with world.connect() as conn:
        shifted = conn.execute(
            f"update features.bin_daily set {PLANTED} = {PLANTED} + 30"
            " where feature_ts = %s::date + 1", (DAY,)).rowcount
    assert shifted > 0
    result = world.run(FEATURES, partition=(DAY_BEFORE, DAY))
    assert result.success
    with world.connect() as conn:
        planted, before = stats(conn, DAY), stats(conn, DAY_BEFORE)
        refresh_view(conn, VIEWS_BY_NAME["feature_drift_daily"])
        dashboard = frame(conn, "select * from analytics.feature_drift_daily"
                          " where view_name = 'bin_daily' order by day")
    print(f"planted {PLANTED} +30 on {DAY}: PSI {planted.loc[PLANTED].psi:.3f}")
    assert planted.loc[PLANTED].level == "alert"
    assert planted.loc[PLANTED].psi > planted.loc[PLANTED].psi_alert == 0.25
    assert list(planted.index[planted["level"] == "alert"]) == [PLANTED]
    assert not before["level"].isin(["warn", "alert"]).any()
    assert metadata(result, FEATURES)["alerts"] == 1
    assert [str(d) for d in dashboard["day"]] == [DAY_BEFORE, DAY]
    assert dashboard["features_alert"].tolist() == [0, 1]
    assert dashboard.iloc[1].max_psi_feature == PLANTED
    assert dashboard.iloc[1].max_psi == pytest.approx(planted.loc[PLANTED].psi)

    # The README's analyst query finds it, run as the analyst.
    with world.connect() as conn:
        apply_roles(conn, ANALYST_PASSWORD)
    with psycopg.connect(analyst_url(world.url, ANALYST_PASSWORD), autocommit=True) as analyst:
        rows = analyst.execute(readme_drift_query()).fetchall()
    assert [(view, feature, str(day), level) for view, feature, day, _, level, *_ in rows] == [
        ("bin_daily", PLANTED, DAY, "alert")]


def test_prediction_stats_per_model_and_role_with_the_live_metric(world):
    with world.connect() as conn:
        # A shadow challenger's rows beside the champion's (as predictions/batch writes them):
        # another registered version scoring the same bins.
        champion = registry.production(conn, TASK)
    challenger = world.candidate(TASK, max_iter=20)
    with world.connect() as conn:
        conn.execute(
            "insert into ml.predictions (model_id, prediction_type, entity_type, entity_id,"
            " partition_key, prediction_timestamp, input_feature_hash, prediction_result, role)"
            " select %s, prediction_type, entity_type, entity_id, partition_key,"
            " prediction_timestamp, input_feature_hash, prediction_result, 'challenger'"
            " from ml.predictions where partition_key = %s", (challenger.id, DAY))
    assert world.run(PREDICTIONS, partition=(OUTCOME_DAY, OUTCOME_DAY)).success
    result = world.run(PREDICTIONS, partition=(DAY, DAY))
    # The day before was scored but never summarised (as when a nightly run skips the step):
    # this run writes it too.
    assert metadata(result, PREDICTIONS)["earlier_days_redone"] == 1
    with world.connect() as conn:
        got = frame(conn, "select * from monitoring.prediction_stats_daily order by day, role")
        scored = frame(
            conn, "select partition_key, (prediction_result ->> 'score')::float8 as score,"
            " prediction_error from ml.predictions where model_id = %s", (champion.id,))
    assert [(str(r.day), r.role) for r in got.itertuples()] == [
        (OUTCOME_DAY, "champion"), (DAY_BEFORE, "champion"), (DAY, "challenger"),
        (DAY, "champion")]
    assert set(got["model_id"].astype(str)) == {str(champion.id), str(challenger.id)}
    for row in got[got["role"] == "champion"].itertuples():
        day = scored[scored["partition_key"] == str(row.day)]
        assert row.row_count == len(day)
        assert row.mean == pytest.approx(day["score"].mean(), rel=1e-9)
        assert row.p50 == pytest.approx(day["score"].median(), rel=1e-9)
        assert row.outcomes_known == day["prediction_error"].notna().sum()
        assert row.psi is not None and row.level == "ok", row
    early = got.iloc[0]
    assert early.outcomes_known > 0
    assert early.mae == pytest.approx(
        scored[scored["partition_key"] == OUTCOME_DAY]["prediction_error"].abs().mean())
    assert got.iloc[3].outcomes_known == 0  # the last day's horizon is not over yet

    # Stats computed before the outcomes were known are written again by a later run.
    with world.connect() as conn:
        conn.execute("update monitoring.prediction_stats_daily set outcomes_known = 0, mae = null"
                     " where day = %s", (OUTCOME_DAY,))
    result = world.run(PREDICTIONS, partition=(DAY, DAY))
    assert metadata(result, PREDICTIONS)["earlier_days_redone"] == 1
    with world.connect() as conn:
        again = conn.execute("select outcomes_known, mae from monitoring.prediction_stats_daily"
                             " where day = %s", (OUTCOME_DAY,)).fetchone()
    assert again == (early.outcomes_known, pytest.approx(early.mae))


def _plant_and_compute(world) -> None:
    with world.connect() as conn:
        conn.execute(f"update features.bin_daily set {PLANTED} = {PLANTED} + 30"
                     " where feature_ts = %s::date + 1", (DAY,))
    assert world.run(FEATURES, partition=(DAY, DAY)).success


def test_the_drift_alert_reaches_email_and_webhook_once(world):
    _plant_and_compute(world)
    with smtp_server() as (mail_url, inbox), webhook_server() as (hook_url, received):
        alerts = AlertsResource(urls=f"{mail_url},{hook_url}", webserver_url="http://ui:3000")
        context = dg.build_sensor_context(resources={
            "postgres": world_postgres(world), "alerts": alerts})
        drift_alerts(context)
        drift_alerts(context)  # evaluated again: nothing new
    assert len(received) == 1 and len(inbox.messages) == 1
    title, body = received[0]["title"], received[0]["message"]
    assert title.startswith(f"[platform] feature drift: bin_daily.{PLANTED} on {DAY}, PSI ")
    assert title.endswith(" > 0.25")
    assert f"Feature: bin_daily.{PLANTED}" in body
    assert f"Day: {DAY} (Monday)" in body
    assert "Thresholds: warn above 0.1, alert above 0.25" in body
    assert f"against the reference of {TASK} v1" in body
    assert "Link: http://ui:3000/runs/" in body
    with world.connect() as conn:
        stored = conn.execute("select kind, severity, condition_key, status from monitoring.alerts"
                              " order by id").fetchall()
        bins = [str(b) for (b,) in conn.execute("select bin_id from features.bin_daily limit 50")]
    assert stored == [("drift", "warning", f"feature:bin_daily.{PLANTED}:{DAY}", "sent")] * 2
    assert not any(bin_id in body for bin_id in bins)  # aggregates only, never a row's key


def test_an_unreachable_destination_records_a_failed_alert_and_fails_nothing(world):
    _plant_and_compute(world)
    alerts = AlertsResource(urls=f"json://127.0.0.1:{free_port()}/x", timeout_s=5)
    context = dg.build_sensor_context(resources={"postgres": world_postgres(world),
                                                 "alerts": alerts})
    assert isinstance(drift_alerts(context), dg.SkipReason)
    drift_alerts(context)  # not retried until the day's statistics are computed again
    with world.connect() as conn:
        assert conn.execute("select status from monitoring.alerts").fetchall() == [("failed",)]
    assert world.run(FEATURES, partition=(DAY, DAY)).success
    drift_alerts(context)
    with world.connect() as conn:
        assert conn.execute("select status from monitoring.alerts").fetchall() == [
            ("failed",), ("failed",)]


def test_the_sensor_is_registered_and_runs_by_default():
    from platform_assets.definitions import defs

    sensor = defs.resolve_sensor_def(DRIFT_ALERTS)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    nightly = defs.resolve_job_def("nightly_refresh")
    in_nightly = {k.to_user_string() for k in nightly.asset_layer.executable_asset_keys}
    assert {FEATURES, PREDICTIONS} <= in_nightly


def test_a_run_where_a_task_has_no_production_model_still_summarises_the_others(world):
    """churn_risk has no production model here, so its predictions asset yields nothing: the
    statistics still run (a dependency on it would have Dagster skip them), after the scoring."""
    with world.connect() as conn:
        conn.execute("delete from ml.predictions where partition_key = %s", (DAY,))
    result = world.run("predictions/churn_risk", f"predictions/{TASK}", PREDICTIONS,
                       partition=(DAY, DAY))
    assert result.success
    assert {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()} \
        == {f"predictions/{TASK}", PREDICTIONS}
    with world.connect() as conn:
        scored = conn.execute("select count(*) from ml.predictions where partition_key = %s",
                              (DAY,)).fetchone()[0]
        summarised = conn.execute("select row_count from monitoring.prediction_stats_daily"
                                  " where day = %s", (DAY,)).fetchall()
    assert scored > 0 and summarised == [(scored,)]


def world_postgres(world):
    from platform_assets.resources import PostgresResource

    return PostgresResource(database_url=world.url)

