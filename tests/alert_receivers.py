"""Real local receivers for alerts, importable from any test directory (like `testkit`): an SMTP
server (aiosmtpd) and an HTTP server taking apprise's JSON webhook, each on a free port, each
keeping what it received."""

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from testkit import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[str, Inbox]]:
    """(apprise URL of a local SMTP server, its inbox)."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"mailto://127.0.0.1:{port}?from=platform@example.com&to=ops@example.com", inbox
    finally:
        controller.stop()


@contextmanager
def webhook_server() -> Iterator[tuple[str, list[dict]]]:
    """(apprise URL of a local JSON webhook, the JSON bodies it received, with their path)."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            received.append({"path": self.path, **json.loads(self.rfile.read(length))})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:  # keep the test output quiet
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{httpd.server_address[1]}/alerts", received
    finally:
        httpd.shutdown()
        httpd.server_close()
