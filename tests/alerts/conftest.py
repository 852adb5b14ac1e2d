"""The alert receivers (tests/alert_receivers.py) as fixtures."""

import pytest
from alert_receivers import smtp_server, webhook_server


@pytest.fixture
def smtp():
    """(apprise URL of a local SMTP server, its inbox)."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def webhook():
    """(apprise URL of a local JSON webhook, the JSON bodies it received)."""
    with webhook_server() as server:
        yield server
