"""One line per finished step for the CLI's in-process runs, instead of Dagster's event stream.

`platform-assets demo` and `backfill` run jobs in this process; Dagster's console logger would
print every event (thousands of lines for a backfill). With `run_config(total)` the run logs
only through `step_lines`, which prints each finished step with its rows and seconds and a
progress count; `--verbose` adds the console logger back. Runs launched from the UI or the
daemon configure no logger and keep Dagster's default; every event is stored either way.
"""

import logging

import dagster as dg

ROW_COUNT = "dagster/row_count"
VERBOSE = False  # set by the CLI's --verbose: Dagster's event stream on the console as well


class _StepLines(logging.Handler):
    """Prints a line when a step finishes or fails, from the DagsterEvent on each record."""

    def __init__(self, total: int, quiet: bool) -> None:
        super().__init__(level=logging.DEBUG)
        self.total, self.done, self.quiet = total, 0, quiet
        self.started: dict[str, float] = {}
        self.rows: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is None or event.step_key is None:
            return
        step = event.step_key
        if event.is_step_start:
            self.started.setdefault(step, record.created)
        elif event.is_step_materialization:
            rows = event.step_materialization_data.materialization.metadata.get(ROW_COUNT)
            if rows is not None:
                self.rows[step] = int(rows.value)
        elif event.is_step_success or event.is_step_failure:
            self.done += 1
            seconds = record.created - self.started.get(step, record.created)
            name = step.replace("__", "/")
            if event.is_step_success:
                rows = f"{self.rows[step]:>12,} rows" if step in self.rows else " " * 17
                detail = f"{rows} {seconds:7.1f} s"
            else:
                error = event.step_failure_data.error
                first = (error.message if error else "failed").strip().splitlines()[0]
                detail = f"FAILED after {seconds:.1f} s: {first[:160]}"
            if not self.quiet or event.is_step_failure:
                print(f"  [{self.done:>2}/{self.total}] {name:<44} {detail}", flush=True)


@dg.logger(
    config_schema={
        "total": dg.Field(int, default_value=0, description="Steps in the run."),
        "quiet": dg.Field(bool, default_value=False, description="Print failed steps only."),
    },
    description="One line per finished step (rows, seconds) with a progress count.",
)
def step_lines(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("platform_assets.steps", level=logging.DEBUG)
    config = init_context.logger_config
    logger.addHandler(_StepLines(config["total"], config["quiet"]))
    return logger


LOGGERS = {"step_lines": step_lines}


def run_config(total: int, verbose: bool = False, quiet: bool = False) -> dict:
    """Loggers for an in-process run: the step lines (failed steps only when `quiet`), plus
    Dagster's console when verbose."""
    loggers: dict = {"step_lines": {"config": {"total": total, "quiet": quiet}}}
    if verbose:
        loggers["console"] = {"config": {"log_level": "DEBUG"}}
    return {"loggers": loggers}
