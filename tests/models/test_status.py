"""`platform-assets status`: one screen of what the platform is doing, read from a real world."""

from platform_assets.definitions import defs
from platform_assets.monitoring.status import status_report

TASK = "demand_forecast"
DAY = "2026-06-20"


def test_status_shows_runs_checks_models_and_alerts(world):
    assert world.train(TASK).success
    assert world.run(f"predictions/{TASK}", partition=(DAY, DAY)).success
    with world.connect() as conn:
        conn.execute(  # a blocking check failing now, and an alert of the last hour
            "insert into quality.check_results (asset_key, check_name, partition_key, passed,"
            " severity) values ('features/bin_daily', 'avg_fill_level_28d_in_range',"
            " '2026-06-19', false, 'ERROR')"
        )
        conn.execute(
            "insert into monitoring.alerts (kind, severity, condition_key, subject, body,"
            " status) values ('gate_blocked', 'warning', 'k', '[platform] gate blocked', '',"
            " 'sent')"
        )
        report = status_report(conn, world.instance, defs.get_repository_def())
    print(report)
    lines = report.splitlines()
    assert "  nightly_refresh      never run" in lines  # the world runs assets, not the jobs
    assert any(line.startswith("  features/bin_daily avg_fill_level_28d_in_range [2026-06-19]")
               for line in lines)
    model = next(line for line in lines if line.startswith(f"  {TASK} v1"))
    assert "production" in model and "live MAE" in model and "outcomes" in model
    assert any("gate_blocked" in line and "[platform] gate blocked" in line for line in lines)
    assert len(lines) < 40  # one screen
