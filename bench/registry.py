"""Which benchmarks exist, and what each is handed when it runs.

A benchmark is a module exposing `run(ctx: Context) -> list[dict]` (rows built with
`bench.results.row`) and optionally `TARGETS` and `NOTES`. Modules are imported only when
needed, so a benchmark's heavy imports (pandas, Dagster) never slow down the others; add a new
one by adding a line to `BENCHMARKS`.
"""

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType

# benchmark name -> module; the order is the order `python -m bench` runs them in.
BENCHMARKS: dict[str, str] = {
    "bulk_write": "bench.bulk_write",
    "embeddings": "bench.embeddings",
    "demo": "bench.demo_run",
    "models_vs_oracle": "bench.models_vs_oracle",
    "training_pit": "bench.training_pit",
    "platform_load": "bench.platform_load",
    "nights_l": "bench.nights_l",
    "nightly_history": "bench.nightly_history",
    "explain": "bench.explain",
}


# Run only when named: nights_l at its default scale L needs about 90 GB of disk and hours.
EXPLICIT_ONLY = frozenset({"nights_l"})


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Context:
    """What a benchmark gets: the command-line options and a place to report server facts."""

    options: argparse.Namespace
    measured_at: str = field(default_factory=now_iso)
    # Facts learnt while measuring (e.g. the server version) that RESULTS.md's header shows.
    facts: dict[str, str] = field(default_factory=dict)
    # Writes a long benchmark's rows to results.json as each phase finishes (run one cut short
    # still leaves its figures); `run`'s return value still has the final say.
    publish: Callable[[list[dict]], None] = lambda rows: None


    def log(self, message: str) -> None:
        """Progress lines, flushed at once: some benchmarks run for minutes."""
        print(message, flush=True)


def load(name: str) -> ModuleType:
    if name not in BENCHMARKS:
        raise KeyError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    return importlib.import_module(BENCHMARKS[name])
