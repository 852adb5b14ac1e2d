"""The results format of DESIGN.md, and RESULTS.md rendered from it.

`bench/results.json` is a list of rows `{"benchmark", "metric", "value", "unit", "baseline",
"baseline_value", "ratio", "scale", "measured_at"}`. `ratio` compares the platform with a
baseline measured in the same run, oriented so that above 1 means the platform is better
(baseline time / platform time, or platform rate / baseline rate); plain figures have no
baseline and no ratio. A benchmark that failed has one row with metric `error` whose value is
the failure text. Running a subset replaces only that subset's rows, so the file always holds
the latest measurement of every benchmark.
"""

import fcntl
import json
import operator
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_JSON = BENCH_DIR / "results.json"
RESULTS_MD = BENCH_DIR / "RESULTS.md"
FIELDS = ("benchmark", "metric", "value", "unit", "baseline", "baseline_value", "ratio", "scale",
          "measured_at")
ERROR_METRIC = "error"
# A row whose value is multi-line text (a query plan, a listing): shown after its section's
# table, as a block of its own.
BLOCK_UNIT = "block"

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}


@dataclass(frozen=True)
class Target:
    """A goal for one metric, checked against its ratio or its value (targets live in code)."""

    on: str  # "ratio" or "value"
    op: str  # one of _OPS
    threshold: float
    unit: str = ""

    def describe(self) -> str:
        if self.on == "ratio":
            return f"ratio {self.op} {self.threshold:g}x"
        return f"{self.op} {self.threshold:g} {self.unit}".rstrip()

    def status(self, result: dict[str, Any]) -> str:
        observed = result.get(self.on)
        if not isinstance(observed, int | float):
            return "n/a"
        return "met" if _OPS[self.op](observed, self.threshold) else "NOT met"


def row(
    benchmark: str,
    metric: str,
    value: float | int | str | None,
    unit: str,
    *,
    scale: str,
    measured_at: str,
    baseline: str | None = None,
    baseline_value: float | None = None,
    ratio: float | None = None,
) -> dict[str, Any]:
    """One result row, with every field of the format present (None where it does not apply)."""
    return {
        "benchmark": benchmark, "metric": metric, "value": value, "unit": unit,
        "baseline": baseline, "baseline_value": baseline_value, "ratio": ratio, "scale": scale,
        "measured_at": measured_at,
    }


def rate_ratio(platform_rate: float, baseline_rate: float) -> float | None:
    """platform rate / baseline rate (above 1: the platform is faster); None if undefined."""
    return platform_rate / baseline_rate if baseline_rate > 0 else None


def time_ratio(platform_seconds: float, baseline_seconds: float) -> float | None:
    """baseline time / platform time (above 1: the platform is faster); None if undefined."""
    return baseline_seconds / platform_seconds if platform_seconds > 0 else None


def load(path: Path = RESULTS_JSON) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return json.loads(path.read_text())


def merge(
    existing: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]], ran: Iterable[str]
) -> list[dict[str, Any]]:
    """Replace the rows of the benchmarks that ran; keep the others as they were."""
    ran = set(ran)
    return [r for r in existing if r["benchmark"] not in ran] + list(new)


def upsert(
    existing: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A phase's rows: each replaces the row of its benchmark and metric in place, or is added.

    Rows of the same benchmark measured at another scale go: a section never mixes the figures
    of a run cut short with an older run's at a different size.
    """
    new = list(new)
    scales = {r["benchmark"]: r["scale"] for r in new}
    fresh = {(r["benchmark"], r["metric"]): r for r in new}
    rows = [fresh.pop((r["benchmark"], r["metric"]), r) for r in existing
            if scales.get(r["benchmark"], r["scale"]) == r["scale"]]
    return rows + list(fresh.values())


def save(rows: list[dict[str, Any]], path: Path = RESULTS_JSON) -> None:
    path.write_text(json.dumps(rows, indent=2) + "\n")


@contextmanager
def exclusive(path: Path = RESULTS_JSON) -> Iterator[None]:
    """Hold the results file's lock: two benchmarks running at once read-modify-write it."""
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def fmt(value: Any) -> str:
    """Numbers as people read them: thousands separated, about three significant digits."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _table(rows: list[dict[str, Any]], targets: dict[str, Target]) -> list[str]:
    lines = [
        "| Metric | Value | Baseline | Baseline value | Ratio | Target | Status |",
        "|---|---:|---|---:|---:|---|---|",
    ]
    for r in rows:
        unit = f" {r['unit']}" if r["unit"] else ""
        value = f"{fmt(r['value'])}{unit}" if r["value"] is not None else "n/a"
        baseline_value = f"{fmt(r['baseline_value'])}{unit}" if r["baseline"] else ""
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
        target = targets.get(r["metric"])
        goal, status = (target.describe(), target.status(r)) if target else ("", "")
        lines.append(
            f"| {r['metric']} | {value} | {r['baseline'] or ''} | {baseline_value} | {ratio} "
            f"| {goal} | {status} |"
        )
    return lines


def render_benchmark(
    name: str, rows: list[dict[str, Any]], targets: dict[str, Target], notes: str
) -> list[str]:
    """One section: when, on what data, the figures with their targets, and how to read them."""
    lines = [f"## {name}", ""]
    scales = sorted({r["scale"] for r in rows if r["scale"]})
    when = sorted({r["measured_at"] for r in rows})
    lines.append(f"Measured at {', '.join(when)}. Data: {'; '.join(scales) or 'n/a'}.")
    lines.append("")
    errors = [r for r in rows if r["metric"] == ERROR_METRIC]
    figures = [r for r in rows if r["metric"] != ERROR_METRIC]
    for error in errors:
        lines += ["**Failed:**", "", "```", str(error["value"]).strip(), "```", ""]
    table = [r for r in figures if r["unit"] != BLOCK_UNIT]
    if table:
        lines += _table(table, targets) + [""]
    for block in (r for r in figures if r["unit"] == BLOCK_UNIT):
        lines += [f"**{block['metric']}**", "", "```", str(block["value"]).strip("\n"), "```", ""]
    if notes:
        lines += [notes.strip(), ""]
    return lines


def render(
    rows: list[dict[str, Any]],
    machine: list[tuple[str, str]],
    targets: dict[str, dict[str, Target]],
    notes: dict[str, str],
    order: list[str],
) -> str:
    """The whole RESULTS.md, from the whole results list (not only what ran this time).

    Sections follow `order` (the registry's), then any benchmark no longer registered.
    """
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m bench` (`make bench`) from `bench/results.json`; every figure was "
        "measured by the run named in its section, none is typed in. A ratio compares the "
        "platform with a baseline measured in the same run: above 1 means the platform is better.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {label} | {value} |" for label, value in machine]
    lines.append("")
    present = dict.fromkeys(r["benchmark"] for r in rows)
    for name in [n for n in order if n in present] + [n for n in present if n not in order]:
        section = [r for r in rows if r["benchmark"] == name]
        lines += render_benchmark(name, section, targets.get(name, {}), notes.get(name, ""))
    return "\n".join(lines).rstrip() + "\n"
