"""`python -m bench [NAME ...]`: run benchmarks, merge into results.json, rewrite RESULTS.md.

With no names every registered benchmark runs. A benchmark that raises is recorded as failed
(its error text instead of figures) and the others still run; the exit status is 1 if any
failed, so `make bench` reports it.
"""

import argparse
import sys
import time
import traceback
from typing import Any

from bench import machine, results
from bench.registry import BENCHMARKS, EXPLICIT_ONLY, Context, load

_ERROR_TAIL_LINES = 15


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="benchmarks to run (default: all but "
                        f"{', '.join(sorted(EXPLICIT_ONLY))}, which run only when named)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    bulk = parser.add_argument_group("bulk_write")
    bulk.add_argument("--bulk-source", choices=["auto", "simulator", "synthetic"], default="auto",
                      help="rows to write: the simulator's scale M service_events when available "
                      "(auto), or synthetic ones")
    bulk.add_argument("--bulk-rows", type=int, default=1_000_000,
                      help="synthetic rows when the simulator is not used (default 1,000,000)")
    bulk.add_argument("--to-sql-rows", type=int, default=50_000,
                      help="rows of the slice that pandas to_sql writes (default 50,000)")
    bulk.add_argument("--repeats", type=int, default=3,
                      help="repeats of copy_arrow and psql \\copy; the median counts (default 3)")
    embeddings = parser.add_argument_group("embeddings")
    embeddings.add_argument("--embeddings-onnx-only", action="store_true",
                            help="measure only the ONNX backends against bare torch encode "
                            "(minutes); the other embeddings rows of the last full run stay")
    demo = parser.add_argument_group("demo")
    demo.add_argument("--demo-timeout", type=float, default=1800,
                      help="seconds before a demo run is killed and recorded as failed")
    load = parser.add_argument_group("platform_load")
    load.add_argument("--load-customers", type=int, default=20_000,
                      help="customers simulated for platform_load (default 20,000: scale M)")
    load.add_argument("--load-days", type=int, default=365,
                      help="days simulated for platform_load (default 365: scale M)")
    load.add_argument("--load-run-dir", default=None,
                      help="where platform_load keeps its database and state (default: "
                      "$TMPDIR/bench-platform-load)")
    load.add_argument("--load-resume", action="store_true",
                      help="carry on a platform_load run of the same scale after its last "
                      "finished phase, instead of starting afresh")
    nights = parser.add_argument_group("nights_l")
    nights.add_argument("--nights-base-customers", type=int, default=2_000,
                        help="customers simulated before the copies (default 2,000)")
    nights.add_argument("--nights-factor", type=int, default=100,
                        help="copies of the simulated world, the original included (default 100:"
                        " 2,000 x 100 = scale L's 200,000 customers)")
    nights.add_argument("--nights-days", type=int, default=365,
                        help="days of history before the measured night (default 365)")
    nights.add_argument("--nights-run-dir", default=None,
                        help="where nights_l keeps its database and state (default: "
                        "$TMPDIR/bench-nights-l)")
    nights.add_argument("--nights-resume", action="store_true",
                        help="carry on a nights_l run of the same scale after its last finished "
                        "phase (or table of the multiply), instead of starting afresh")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    return args


def write(new_rows: list[dict[str, Any]], facts: dict[str, str],
          ran: list[str] | None = None) -> None:
    """Merge rows into results.json and rewrite RESULTS.md, under the file's lock.

    `ran`: benchmarks whose every old row goes (a finished run); without it each row replaces
    its own metric's (a phase of a long benchmark, written as soon as it is measured).
    """
    with results.exclusive():
        existing = results.load()
        rows = (results.merge(existing, new_rows, ran) if ran is not None
                else results.upsert(existing, new_rows))
        results.save(rows)
        targets, notes = targets_and_notes()
        results.RESULTS_MD.write_text(
            results.render(rows, machine.describe(facts), targets, notes, list(BENCHMARKS))
        )


def run_one(name: str, args: argparse.Namespace, facts: dict[str, str]) -> list[dict[str, Any]]:
    """Run one benchmark; a failure becomes an `error` row so the file says what went wrong."""
    ctx = Context(args, facts=facts, publish=lambda rows: write(rows, facts))
    started = time.perf_counter()
    try:
        rows = load(name).run(ctx)
    except Exception:  # noqa: BLE001 - recorded, and the exit status says it failed
        text = "\n".join(traceback.format_exc().strip().splitlines()[-_ERROR_TAIL_LINES:])
        ctx.log(f"{name} FAILED:\n{text}")
        rows = [results.row(name, results.ERROR_METRIC, text, "text", scale="",
                            measured_at=ctx.measured_at)]
    ctx.log(f"{name}: done in {time.perf_counter() - started:.0f}s\n")
    return rows


def targets_and_notes() -> tuple[dict[str, dict[str, results.Target]], dict[str, str]]:
    """TARGETS and NOTES of every registered benchmark (RESULTS.md covers all of them)."""
    targets, notes = {}, {}
    for name in BENCHMARKS:
        module = load(name)
        targets[name] = getattr(module, "TARGETS", {})
        notes[name] = getattr(module, "NOTES", "")
    return targets, notes


def summary(rows: list[dict[str, Any]], targets: dict[str, dict[str, results.Target]]) -> None:
    """One line per figure that has a baseline or a target, and every failure."""
    print("Summary")
    for r in rows:
        if r["metric"] == results.ERROR_METRIC:
            print(f"  {r['benchmark']}: FAILED ({str(r['value']).strip().splitlines()[-1]})")
            continue
        target = targets.get(r["benchmark"], {}).get(r["metric"])
        if target is None and r["ratio"] is None:
            continue
        line = f"  {r['benchmark']}.{r['metric']}: {results.fmt(r['value'])} {r['unit']}"
        if r["ratio"] is not None:
            line += f" = {r['ratio']:.2f}x {r['baseline']} ({results.fmt(r['baseline_value'])})"
        if target is not None:
            line += f"; target {target.describe()}: {target.status(r)}"
        print(line)
    print(f"Written: {results.RESULTS_JSON}, {results.RESULTS_MD}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    names = args.names or [name for name in BENCHMARKS if name not in EXPLICIT_ONLY]
    facts: dict[str, str] = {"Load at start": machine.load_average()}
    new_rows = [r for name in names for r in run_one(name, args, facts)]
    facts["Load at end"] = machine.load_average()
    write(new_rows, facts, ran=names)
    summary(new_rows, targets_and_notes()[0])
    return 1 if any(r["metric"] == results.ERROR_METRIC for r in new_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
