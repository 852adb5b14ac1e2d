"""The alerts resource against real receivers and a real database: one message per destination,
one row per attempt, repeats suppressed for a day, failures recorded and never raised."""

import pytest
from testkit import free_port

from platform_assets.alerts import Alert, AlertsResource
from platform_assets.alerts.resource import CHECK_FAILURE, masked

ALERT = Alert(
    CHECK_FAILURE, "warning", "features/customer_daily:row_count",
    "[platform] check failed: features/customer_daily row_count",
    "Asset: features/customer_daily\nCheck: row_count\nObserved: 0 rows, threshold >= 1",
)


def rows(conn) -> list[tuple]:
    return conn.execute(
        "select kind, severity, condition_key, destination, status, error, run_id"
        " from monitoring.alerts order by id"
    ).fetchall()


def test_an_alert_reaches_email_and_webhook_and_each_is_one_row(conn, smtp, webhook):
    (mail_url, inbox), (hook_url, received) = smtp, webhook
    alerts = AlertsResource(urls=f"{mail_url},{hook_url}")

    deliveries = alerts.send(conn, ALERT, run_id="run-1")

    assert [d.status for d in deliveries] == ["sent", "sent"]
    assert len(inbox.messages) == 1 and len(received) == 1
    message = inbox.messages[0]
    assert message["Subject"] == ALERT.subject and message["To"] == "ops@example.com"
    assert "Observed: 0 rows, threshold >= 1" in message.get_body(("plain",)).get_content()
    assert received[0]["path"] == "/alerts"
    assert (received[0]["title"], received[0]["message"], received[0]["type"]) == (
        ALERT.subject, ALERT.body, "warning"
    )
    assert rows(conn) == [
        (CHECK_FAILURE, "warning", ALERT.condition_key, masked(mail_url), "sent", None, "run-1"),
        (CHECK_FAILURE, "warning", ALERT.condition_key, masked(hook_url), "sent", None, "run-1"),
    ]


def test_a_repeat_within_the_day_is_recorded_as_suppressed_and_not_sent(conn, webhook):
    hook_url, received = webhook
    alerts = AlertsResource(urls=hook_url)

    assert [d.status for d in alerts.send(conn, ALERT)] == ["sent"]
    assert [d.status for d in alerts.send(conn, ALERT)] == ["suppressed"]
    other = Alert(ALERT.kind, ALERT.severity, "features/customer_daily:nulls", "s", "b")
    assert [d.status for d in alerts.send(conn, other)] == ["sent"]

    assert [r["title"] for r in received] == [ALERT.subject, "s"]
    assert [r[4] for r in rows(conn)] == ["sent", "suppressed", "sent"]
    # A day later the condition, still open, is sent again.
    conn.execute("update monitoring.alerts set created_at = created_at - interval '25 hours'")
    assert [d.status for d in alerts.send(conn, ALERT)] == ["sent"]
    assert len(received) == 3


def test_an_unreachable_destination_records_a_failed_row_and_does_not_raise(conn, webhook):
    hook_url, received = webhook
    dead = f"json://127.0.0.1:{free_port()}/alerts"  # nothing listens there
    alerts = AlertsResource(urls=f"{dead},{hook_url}", timeout_s=5)

    first = alerts.send(conn, ALERT)
    assert [d.status for d in first] == ["failed", "sent"]
    assert "connection error" in first[0].error.lower()
    assert len(received) == 1
    # A failed delivery is no reason to stay quiet: the next raise tries that destination again.
    assert [d.status for d in alerts.send(conn, ALERT)] == ["failed", "suppressed"]
    assert [(r[3], r[4]) for r in rows(conn)] == [
        (masked(dead), "failed"), (masked(hook_url), "sent"),
        (masked(dead), "failed"), (masked(hook_url), "suppressed"),
    ]


def test_secrets_in_a_destination_are_never_stored(conn):
    url = f"json://alerts:s3cr3t-pw@127.0.0.1:{free_port()}/hook"
    (delivery,) = AlertsResource(urls=url, timeout_s=5).send(conn, ALERT)
    assert delivery.status == "failed"
    (row,) = conn.execute("select * from monitoring.alerts").fetchall()
    assert not [value for value in row if "s3cr3t" in str(value)]
    assert row[6].startswith("json://alerts:****@127.0.0.1:")


def test_destinations_come_from_the_environment_when_unset(conn, webhook, monkeypatch):
    hook_url, received = webhook
    monkeypatch.setenv("PLATFORM_ALERT_URLS", f" {hook_url} ,")
    assert [d.status for d in AlertsResource().send(conn, ALERT)] == ["sent"]
    assert len(received) == 1
    monkeypatch.setenv("PLATFORM_ALERT_URLS", "")
    (delivery,) = AlertsResource().send(conn, ALERT)
    assert (delivery.destination, delivery.status) == (None, "failed")
    assert "PLATFORM_ALERT_URLS" in delivery.error


@pytest.mark.parametrize("url, stored", [
    ("mailtos://ops:pw@smtp.example.com?to=a@example.com", "mailtos://ops:****@smtp.example.com"),
    ("json://hooks.example.com/platform", "json://hooks.example.com/platform"),
    ("nonsense://token-abc", "nonsense://***"),
])
def test_masked_keeps_the_service_and_hides_secrets(url, stored):
    assert masked(url).startswith(stored)
    assert "pw@" not in masked(url) and "token-abc" not in masked(url)


def test_the_alerts_table_and_every_column_have_a_comment(conn):
    comments = conn.execute(
        "select a.attname, col_description(c.oid, a.attnum) is not null,"
        " obj_description(c.oid, 'pg_class') is not null"
        " from pg_class c join pg_attribute a on a.attrelid = c.oid"
        " where c.oid = 'monitoring.alerts'::regclass and a.attnum > 0 and not a.attisdropped"
    ).fetchall()
    assert {name for name, _, _ in comments} >= {
        "id", "kind", "severity", "condition_key", "subject", "body", "destination", "status",
        "error", "created_at", "run_id",
    }
    assert all(column and table for _, column, table in comments)
