"""Blocked gate decisions and rollbacks, made by the real gate and registry on a simulated
world, each reach an operator's webhook once through the registry_alerts sensor."""

import dagster as dg
from alert_receivers import webhook_server
from testkit import metadata

from platform_assets.alerts import AlertsResource
from platform_assets.alerts.sensors import registry_alerts
from platform_assets.models import gate, registry
from platform_assets.models.specs import MODEL_SPECS
from platform_assets.resources import PostgresResource

TASK = "demand_forecast"


def test_a_rollback_and_the_blocked_retrain_each_alert_once(world):
    assert world.run(f"training/{TASK}").success
    earlier = world.candidate(TASK, max_iter=60)  # v1
    with world.connect() as conn:
        assert gate.decide(conn, MODEL_SPECS[TASK], earlier, "test", None,
                           force_reason="baseline").promoted
    assert metadata(world.train(TASK), f"models/{TASK}_promotion")["decision"] == "promoted"
    with world.connect() as conn:
        registry.rollback(conn, TASK, "cli:oncall")  # v2 -> v1, outside any run
    again = world.train(TASK)  # v2 again: the gate blocks it (promotable)
    assert metadata(again, f"models/{TASK}_promotion")["decision"] == "blocked"

    with webhook_server() as (url, received):
        context = dg.build_sensor_context(resources={
            "postgres": PostgresResource(database_url=world.url),
            "alerts": AlertsResource(urls=url),
        })
        registry_alerts(context)
        registry_alerts(context)
    assert [r["title"] for r in received] == [
        f"[platform] rollback of {TASK}: v2 -> v1",
        f"[platform] gate blocked {TASK} v2: promotable",
    ]
    assert f"/runs/{again.run_id}" in received[1]["message"]
    with world.connect() as conn:
        assert conn.execute(
            "select kind, condition_key, status from monitoring.alerts order by id"
        ).fetchall() == [
            ("rollback", f"{TASK}:v2->v1", "sent"), ("gate_blocked", f"{TASK}:v2", "sent"),
        ]
