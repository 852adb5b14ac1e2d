"""Dashboard tests write their charts and report under a per-test PLATFORM_HOME."""

import pytest


@pytest.fixture(autouse=True)
def reports_home(tmp_path, monkeypatch, server_url):
    # server_url first: the session's embedded server lives in the session's directory.
    home = tmp_path / "home"
    monkeypatch.setenv("PLATFORM_HOME", str(home))
    return home
