"""The `alerts` resource: sends an alert to every configured destination through apprise and
records each attempt in `monitoring.alerts`.

apprise speaks SMTP email (`mailto://`, `mailtos://`), Slack, Teams and generic JSON webhooks
(`json://`) behind one URL syntax, so an operator adds a destination without code. Sending never
raises: an alert is a side channel, and a run must not fail because a mail server is down.
"""

import logging
import os
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import apprise
import dagster as dg
import psycopg
from pydantic import Field

from platform_assets.db import server
from platform_assets.db.locks import lock_relation
from platform_assets.db.sql import load_sql

URLS_ENV = "PLATFORM_ALERT_URLS"
WEBSERVER_ENV = "DAGSTER_WEBSERVER_URL"
DEFAULT_WEBSERVER = "http://127.0.0.1:3000"

RUN_FAILURE = "run_failure"
CHECK_FAILURE = "check_failure"
FRESHNESS = "freshness"
GATE_BLOCKED = "gate_blocked"
DRIFT = "drift"
ROLLBACK = "rollback"

Severity = Literal["info", "warning", "critical"]
Status = Literal["sent", "failed", "suppressed"]

_NOTIFY_TYPE = {
    "info": apprise.NotifyType.INFO,
    "warning": apprise.NotifyType.WARNING,
    "critical": apprise.NotifyType.FAILURE,
}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    """What to tell: names, counts and thresholds only, never row values (the body is stored,
    and analysts can read `monitoring`).

    `condition_key` names the open condition within `kind` (a job and its failed steps, a gate
    and its model): the same condition is sent to a destination at most once a day.
    """

    kind: str
    severity: Severity
    condition_key: str
    subject: str
    body: str


@dataclass(frozen=True)
class Delivery:
    """One recorded attempt: the `monitoring.alerts` row for one destination."""

    id: int
    destination: str | None
    status: Status
    error: str | None


def masked(url: str) -> str:
    """The destination as stored and shown: apprise's privacy form masks each service's
    passwords and tokens; a URL apprise cannot read keeps only its scheme."""
    service = apprise.Apprise.instantiate(url)
    if service is None:
        return f"{urlsplit(url).scheme or 'unknown'}://***"
    return service.url(privacy=True)


class AlertsResource(dg.ConfigurableResource):
    """Sends alerts to the operators' destinations and records each in `monitoring.alerts`.

    Destinations are apprise URLs (`mailtos://user:pass@smtp.example.com?to=ops@example.com`,
    `json://hooks.example.com/platform`). They usually hold secrets, so they are read from
    `PLATFORM_ALERT_URLS` (comma-separated) when an alert is sent, never at load time and never
    from config the UI displays; `urls` is for destinations without secrets (tests, a local hook).
    """

    urls: str | None = Field(
        default=None,
        description=f"Comma-separated apprise URLs; unset: the {URLS_ENV} environment variable.",
    )
    webserver_url: str | None = Field(
        default=None,
        description=f"Base URL of the Dagster UI for run links; unset: {WEBSERVER_ENV} or "
        f"{DEFAULT_WEBSERVER}.",
    )
    timeout_s: float = Field(default=10.0, description="Seconds to wait for each destination.")

    def destinations(self) -> list[str]:
        raw = self.urls if self.urls is not None else os.environ.get(URLS_ENV, "")
        return [url.strip() for url in raw.split(",") if url.strip()]

    def run_url(self, run_id: str) -> str:
        base = self.webserver_url or os.environ.get(WEBSERVER_ENV) or DEFAULT_WEBSERVER
        return f"{base.rstrip('/')}/runs/{run_id}"

    def send(
        self, conn: psycopg.Connection, alert: Alert, run_id: str | None = None
    ) -> list[Delivery]:
        """Send `alert` to each destination and record one row per destination (one failed row
        when none is configured). Never raises for a destination's failure."""
        urls = self.destinations()
        if not urls:
            return [_record(conn, alert, None, "failed",
                            f"no destination configured ({URLS_ENV} is empty)", run_id)]
        return [self._send_one(conn, alert, url, run_id) for url in urls]

    def _send_one(
        self, conn: psycopg.Connection, alert: Alert, url: str, run_id: str | None
    ) -> Delivery:
        destination = masked(url)
        # The lock makes check-send-record one step: two sensors raising the same condition at
        # once send it once.
        with conn.transaction():
            lock_relation(conn, f"alerts:{alert.kind}:{alert.condition_key}:{destination}")
            repeat = conn.execute(load_sql("alerts/sent_recently"), {
                "kind": alert.kind, "condition_key": alert.condition_key,
                "destination": destination,
            }).fetchone()
            if repeat:
                return _record(conn, alert, destination, "suppressed", None, run_id)
            error = self._notify(alert, url)
            return _record(conn, alert, destination, "failed" if error else "sent", error, run_id)

    def _notify(self, alert: Alert, url: str) -> str | None:
        """Deliver to one URL; the reason it failed (secrets masked), or None when sent."""
        try:
            notifier = apprise.Apprise()
            if not notifier.add(url):
                return "not a valid apprise URL"
            result = notifier.notify(
                body=alert.body, title=alert.subject, notify_type=_NOTIFY_TYPE[alert.severity],
                timeout=self.timeout_s,
            )
            if result:
                return None
            messages = [
                entry.message
                for service in result
                for attempt in service
                for entry in attempt.logs
                if entry.level in ("WARNING", "ERROR", "CRITICAL")
            ]
            reason = "; ".join(dict.fromkeys(messages)) or f"apprise status {result.status.name}"
        except Exception as error:  # a plugin's bug must not fail the run either
            reason = f"{type(error).__name__}: {error}"
        return server.redact(reason, url)[:1000]


def _record(
    conn: psycopg.Connection, alert: Alert, destination: str | None, status: Status,
    error: str | None, run_id: str | None,
) -> Delivery:
    (alert_id,) = conn.execute(load_sql("alerts/record"), {
        "kind": alert.kind, "severity": alert.severity, "condition_key": alert.condition_key,
        "subject": alert.subject, "body": alert.body, "destination": destination,
        "status": status, "error": error, "run_id": run_id,
    }).fetchone()
    if status == "failed":
        log.warning("alert %s (%s) not sent to %s: %s", alert_id, alert.kind, destination, error)
    return Delivery(alert_id, destination, status, error)
