"""Dashboard views against the embedded Postgres: created then refreshed concurrently, their
contents checked against independent computations, readers never blocked, and the report."""

import re
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from dashboard_data import (
    add_audit,
    add_check,
    add_event,
    add_model,
    add_prediction,
    add_rejected,
    run,
)
from sklearn.metrics import roc_auc_score

from platform_assets.dashboards.assets import dashboard_assets, refresh_view
from platform_assets.dashboards.views import DASHBOARD_VIEWS, VIEWS_BY_NAME

VIEW_KEYS = [f"dashboards/{view.name}" for view in DASHBOARD_VIEWS]

CONTRACT = {
    "ops_daily_kpis": [
        ("organization_id", "uuid"), ("day", "date"), ("pickups", "bigint"),
        ("missed_pickups", "bigint"), ("missed_pickup_rate", "double precision"),
        ("overflow_reports", "bigint"), ("complaints", "bigint"),
        ("kg_collected", "double precision"), ("avg_fill_level", "double precision"),
    ],
    "model_performance_daily": [
        ("model_name", "text"), ("model_version", "integer"), ("day", "date"),
        ("role", "text"), ("predictions", "bigint"), ("outcomes_known", "bigint"),
        ("auc", "double precision"), ("accuracy", "double precision"),
        ("mae", "double precision"), ("mean_score", "double precision"),
        ("champion_outcomes_known", "bigint"), ("champion_auc", "double precision"),
        ("champion_mae", "double precision"),
    ],
    "data_quality_daily": [
        ("asset_key", "text"), ("day", "date"), ("checks_run", "bigint"),
        ("checks_failed", "bigint"), ("rows_rejected", "bigint"), ("rejected_by_reason", "jsonb"),
    ],
    "ml_performance_dashboard": [
        ("hour", "timestamp with time zone"), ("ml_operations", "bigint"),
        ("ml_mean_duration_ms", "double precision"), ("ml_failures", "bigint"),
        ("db_snapshots", "bigint"), ("connections_active_max", "integer"),
        ("commits", "bigint"), ("rollbacks", "bigint"), ("cache_hit_ratio", "double precision"),
        ("deadlocks", "bigint"), ("temp_bytes", "bigint"), ("database_size_bytes", "bigint"),
    ],
}


def columns(conn, name: str) -> list[tuple[str, str]]:
    return conn.execute(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute"
        " where attrelid = %s::regclass and attnum > 0 order by attnum",
        (f"analytics.{name}",),
    ).fetchall()


def count(conn, query: str) -> int:
    return conn.execute(query).fetchone()[0]


def seed(conn) -> dict:
    orgs = [uuid.uuid4(), uuid.uuid4()]
    for day in ("2026-06-01", "2026-06-02"):
        for org in orgs:
            add_event(conn, org, "pickup", f"{day}T08:00:00", weight=10.0, fill=80.0)
            add_event(conn, org, "pickup", f"{day}T09:00:00", weight=30.0, fill=40.0)
            add_event(conn, org, "missed_pickup", f"{day}T10:00:00")
            add_event(conn, org, "complaint", f"{day}T11:00:00")
    add_event(conn, orgs[0], "overflow_report", "2026-06-02T23:30:00")
    model = add_model(conn, "churn_risk", 1, "hist_gradient_boosting_classifier")
    for score, label in ((0.9, 1), (0.2, 0), (0.6, 0), (0.7, None)):
        add_prediction(conn, model, "churn_risk", "2026-06-01", score, label)
    add_check(conn, "staging/service_events", "2026-06-01T03:00:00", True)
    add_check(conn, "staging/service_events", "2026-06-01T04:00:00", False)
    add_rejected(conn, "service_events", "2026-06-01T03:00:00", "negative_weight")
    add_rejected(conn, "service_events", "2026-06-01T03:00:00", "negative_weight")
    add_rejected(conn, "customers", "2026-06-02T03:00:00", "bad_email")
    add_audit(conn, datetime.now(UTC), status="failure")
    return {"orgs": orgs, "model": model}


def test_first_run_creates_views_then_refreshes_concurrently(conn, postgres):
    seed(conn)
    first = run(postgres)
    for name in CONTRACT:
        meta = first[f"dashboards/{name}"]
        assert meta["refresh_mode"] == "plain", name
        assert columns(conn, name) == CONTRACT[name]
        assert conn.execute(
            "select indisunique from pg_index where indexrelid = %s::regclass",
            (f"analytics.{name}_key",),
        ).fetchone() == (True,)
        described = conn.execute(
            "select count(*) from pg_attribute where attrelid = %s::regclass and attnum > 0"
            " and col_description(attrelid, attnum) is not null",
            (f"analytics.{name}",),
        ).fetchone()[0]
        assert described == len(CONTRACT[name])
        assert meta["dagster/row_count"] == count(conn, f"select count(*) from analytics.{name}")

    assert first["dashboards/ops_daily_kpis"]["dagster/row_count"] == count(
        conn,
        "select count(distinct (organization_id, (service_date at time zone 'UTC')::date))"
        " from staging.service_events",
    ) == 4
    assert first["dashboards/model_performance_daily"]["dagster/row_count"] == 1
    assert first["dashboards/data_quality_daily"]["dagster/row_count"] == 2
    # One hour holds both the audit row and the run's db_stats snapshot.
    assert first["dashboards/ml_performance_dashboard"]["dagster/row_count"] == 1

    day = conn.execute(
        "select pickups, missed_pickups, missed_pickup_rate, overflow_reports, complaints,"
        " kg_collected, avg_fill_level from analytics.ops_daily_kpis"
        " order by day desc, overflow_reports desc limit 1"
    ).fetchone()
    assert day == (2, 1, pytest.approx(1 / 3), 1, 1, 40.0, 60.0)
    quality = conn.execute(
        "select checks_run, checks_failed, rows_rejected, rejected_by_reason"
        " from analytics.data_quality_daily"
        " where asset_key = 'staging/service_events' and day = '2026-06-01'"
    ).fetchone()
    assert quality == (2, 1, 2, {"negative_weight": 2})
    hour = conn.execute(
        "select ml_operations, ml_failures, db_snapshots from analytics.ml_performance_dashboard"
    ).fetchone()
    assert hour == (1, 1, 1)

    add_event(conn, uuid.uuid4(), "pickup", "2026-06-03T08:00:00", weight=5.0, fill=50.0)
    second = run(postgres)
    for key in VIEW_KEYS:
        assert second[key]["refresh_mode"] == "concurrent", key
    assert second["dashboards/ops_daily_kpis"]["dagster/row_count"] == 5
    assert second["dashboards/ml_performance_dashboard"]["dagster/row_count"] >= 1


def test_changed_definition_replaces_the_view(conn, postgres):
    view = VIEWS_BY_NAME["ops_daily_kpis"]
    assert refresh_view(conn, view) == "plain"
    assert refresh_view(conn, view) == "concurrent"
    conn.execute(
        "comment on materialized view analytics.ops_daily_kpis is 'definition 0000000000000000'"
    )
    assert refresh_view(conn, view) == "plain"
    comment = count(conn, "select obj_description('analytics.ops_daily_kpis'::regclass)")
    assert comment.endswith(f"definition {view.version}")


def test_concurrent_refresh_never_blocks_an_open_reader(conn, postgres, db_url):
    org = uuid.uuid4()
    add_event(conn, org, "pickup", "2026-06-01T08:00:00", weight=1.0)
    view = VIEWS_BY_NAME["ops_daily_kpis"]
    run(postgres, [a for a in dashboard_assets if a.key.path[-1] == view.name])

    with psycopg.connect(db_url) as reader:
        reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        assert count(reader, "select count(*) from analytics.ops_daily_kpis") == 1
        # The reader's transaction stays open (idle in transaction) across the refresh; should
        # the refresh wait for it, a watchdog ends the reader after a minute and the test fails.
        add_event(conn, org, "pickup", "2026-06-02T08:00:00", weight=1.0)
        watchdog = threading.Timer(60, terminate, (db_url, reader.info.backend_pid))
        watchdog.start()
        try:
            meta = run(postgres, [a for a in dashboard_assets if a.key.path[-1] == view.name])
        finally:
            watchdog.cancel()
        assert meta[f"dashboards/{view.name}"]["refresh_mode"] == "concurrent"
        assert count(reader, "select count(*) from analytics.ops_daily_kpis") == 1
        assert count(conn, "select count(*) from analytics.ops_daily_kpis") == 2
        reader.rollback()


def terminate(db_url: str, pid: int) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(%s)", (pid,))


def test_auc_matches_sklearn(conn, postgres):
    classifier = add_model(conn, "churn_risk", 3, "hist_gradient_boosting_classifier")
    regressor = add_model(conn, "demand_forecast", 1, "hist_gradient_boosting_regressor")
    expected = {}
    for offset, day in enumerate(("2026-06-01", "2026-06-02")):
        # Scores rounded to one decimal: plenty of ties, which AUC counts one half.
        scores = [round((i * 37 % 11) / 10, 1) for i in range(40 + offset)]
        labels = [int((i * 7 + offset) % 3 == 0) if i % 5 else None for i in range(len(scores))]
        for score, label in zip(scores, labels, strict=True):
            add_prediction(conn, classifier, "churn_risk", day, score, label)
        known = [(s, y) for s, y in zip(scores, labels, strict=True) if y is not None]
        expected[day] = roc_auc_score([y for _, y in known], [s for s, _ in known])
    for score, label in ((0.9, 1), (0.8, 1)):  # one class only: no AUC
        add_prediction(conn, classifier, "churn_risk", "2026-06-03", score, label)
    for score, label in ((10.0, 12.0), (4.0, 3.0), (7.0, None)):
        add_prediction(conn, regressor, "demand_forecast", "2026-06-01", score, label)

    run(postgres, [a for a in dashboard_assets if a.key.path[-1] == "model_performance_daily"])
    rows = {
        (name, str(day)): (auc, mae, known, total)
        for name, day, auc, mae, known, total in conn.execute(
            "select model_name, day, auc, mae, outcomes_known, predictions"
            " from analytics.model_performance_daily"
        )
    }
    for day, auc in expected.items():
        assert rows[("churn_risk", day)][0] == pytest.approx(auc, abs=1e-12)
    assert rows[("churn_risk", "2026-06-03")][0] is None
    assert rows[("demand_forecast", "2026-06-01")] == (None, pytest.approx(1.5), 2, 3)


def test_report_puts_four_charts_together(conn, postgres, reports_home):
    seed(conn)
    meta = run(postgres)
    reports = reports_home / "reports"
    index = (reports / "index.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', index)
    assert sorted(images) == sorted(f"{view.name}.png" for view in DASHBOARD_VIEWS)
    for image in images:
        assert (reports / image).read_bytes().startswith(b"\x89PNG")
    for view in DASHBOARD_VIEWS:
        rows = meta[f"dashboards/{view.name}"]["dagster/row_count"]
        assert f"{rows:,} rows" in index
        assert meta[f"dashboards/{view.name}"]["chart"].startswith(
            "![chart](data:image/png;base64,"
        )
        assert meta[f"dashboards/{view.name}"]["chart_path"] == str(reports / f"{view.name}.png")
    assert "Generated at" in index
    assert not [p for p in reports.iterdir() if p.name.startswith(".")]  # no temp files left


def test_empty_views_still_get_charts(postgres, reports_home):
    meta = run(postgres, dashboard_assets)
    for view in DASHBOARD_VIEWS:
        assert meta[f"dashboards/{view.name}"]["dagster/row_count"] == 0
        assert (reports_home / "reports" / f"{view.name}.png").stat().st_size > 0
    assert meta["dashboards/report"]["charts"] == len(DASHBOARD_VIEWS)


def test_ml_hours_count_commit_increase(conn, postgres):
    base = datetime(2026, 6, 1, 10, tzinfo=UTC)
    for minute, commits in ((0, 100), (20, 150), (50, 400)):
        conn.execute(
            "insert into monitoring.db_stats (captured_at, database, xact_commit, cache_hit_ratio,"
            " database_size_bytes) values (%s, current_database(), %s, %s, %s)",
            (base + timedelta(minutes=minute), commits, minute / 100, minute),
        )
    for minute in (5, 65):
        add_audit(conn, base + timedelta(minutes=minute), duration_ms=minute)
    refresh_view(conn, VIEWS_BY_NAME["ml_performance_dashboard"])
    rows = conn.execute(
        "select hour, ml_operations, db_snapshots, commits, cache_hit_ratio, database_size_bytes"
        " from analytics.ml_performance_dashboard order by hour"
    ).fetchall()
    assert rows == [
        (base, 1, 3, 300, 0.5, 50),
        (base + timedelta(hours=1), 1, 0, None, None, None),
    ]
    assert Counter(r[0] for r in rows).most_common(1)[0][1] == 1
