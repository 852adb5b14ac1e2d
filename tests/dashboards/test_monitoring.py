"""monitoring/db_stats records real statistics of the database it runs against."""

from dashboard_data import run

from platform_assets.monitoring.assets import monitoring_assets


def test_db_stats_snapshot_is_real(conn, postgres):
    first = run(postgres, monitoring_assets)
    assert first["monitoring/db_stats"]["dagster/row_count"] == 1
    row = conn.execute(
        "select database = current_database(), connections_total, connections_active,"
        " xact_commit, database_size_bytes, cache_hit_ratio, run_id from monitoring.db_stats"
    ).fetchone()
    same_db, total, active, commits, size, ratio, run_id = row
    assert same_db
    assert total >= 1 and active >= 1  # the snapshot's own connection was running it
    assert commits > 0 and size > 0
    assert ratio is None or 0 <= ratio <= 1
    assert run_id
    assert "connections_total" in first["monitoring/db_stats"]["snapshot"]

    second = run(postgres, monitoring_assets)
    assert second["monitoring/db_stats"]["dagster/row_count"] == 2
