"""The Great Expectations side of the checks: one context per process, one datasource per database.

Imported lazily by `checks.run_checks`: importing GX costs seconds that loading the code location
should not pay. Everything runs in SQL through a GX SQL datasource; no table reaches pandas.

GX 1.x traps handled here (seen with GX 1.24 on Postgres 18):
- `add_postgres` rejects the embedded server's unix-socket URL; `add_sql` with a
  `postgresql+psycopg2://` URL accepts `?host=/socket/dir`.
- A query asset's SQL goes through SQLAlchemy `text()` once or twice depending on the metric,
  so `%` is doubled (a literal `'5%'` stops matching, `a % b` fails) and `:word` becomes a bind
  parameter (a literal `' :x'` silently turns into NULL). `render` refuses such relations.
- GX reads results after handing the connection back to the pool: with a `NullPool` every
  metric fails ("cursor already closed"). The pool stays; `release` closes its connections.
- Progress bars go to stderr unless the context's `progress_bars` setting turns them off.
- GX learns a query asset's column names by running the whole query and reading the names off
  the result, which psycopg2 buffers in full on the client: every expectation pulled every row
  of its batch. Checking a year of `features.bin_daily` at scale M (13.4 million rows) took the
  backfill process to 6.2 GB. `_column_names_without_rows` asks for the names with LIMIT 0.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent import SQLDatasource
    from great_expectations.datasource.fluent.interfaces import Batch
    from great_expectations.expectations import Expectation

# GX mutates its context (datasources, assets) without locks; checks may run in threads.
_LOCK = threading.RLock()
# SQLAlchemy's pattern for a bind parameter in `text()` (sqlalchemy.sql.elements.TextClause).
_BIND_PARAM = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
# A few unexpected values are enough to explain a failure; more would bloat metadata and jsonb.
SAMPLE_SIZE = 5
_SUMMARY = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
# UnexpectedRowsExpectation returns its rows only with COMPLETE (our queries return few rows).
_COMPLETE = {"result_format": "COMPLETE"}
_RESULT_KEYS = (
    "observed_value",
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "missing_count",
)


class UnsafeRelation(ValueError):
    """The relation's SQL would be rewritten by SQLAlchemy inside GX (see the module docstring)."""


def render(conn: psycopg.Connection, relation: str, params: dict) -> str:
    """The relation as one plain SELECT for a GX query asset, its values bound by the driver.

    Values are escaped by psycopg on the client (`mogrify`), never formatted in by us. Wrapping
    in `select * from (...)` satisfies GX's "must start with SELECT" (CTEs work too) and keeps a
    trailing `-- comment` from swallowing what GX appends.
    """
    text = psycopg.ClientCursor(conn).mogrify(relation, params)
    refuse_unsafe(text)
    return f"select * from (\n{text.strip().rstrip(';')}\n) as relation"


def refuse_unsafe(text: str) -> None:
    if "%" in text:
        raise UnsafeRelation(
            "the relation contains '%', which GX (through SQLAlchemy) doubles before it reaches "
            "Postgres: write a % b as mod(a, b) and a '%' inside a string as chr(37)"
        )
    match = _BIND_PARAM.search(text)
    if match:
        raise UnsafeRelation(
            f"the relation contains {match.group(0)!r}, which SQLAlchemy inside GX reads as a "
            "bind parameter: write ':' inside a string as chr(58)"
        )


def sqlalchemy_url(url: str) -> str:
    """A SQLAlchemy URL on psycopg2: SQLAlchemy 2.1 maps bare `postgresql://` to psycopg 3."""
    parts = urlsplit(url)
    if parts.scheme.split("+")[0] not in ("postgres", "postgresql"):
        raise ValueError(f"not a Postgres URL (scheme {parts.scheme!r})")
    return urlunsplit(parts._replace(scheme="postgresql+psycopg2"))


@functools.cache
def _context() -> AbstractDataContext:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _column_names_without_rows()
    context = gx.get_context(mode="ephemeral")
    # Without this, every validation draws tqdm bars on stderr (run logs, pytest output).
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _column_names_without_rows() -> None:
    """Make GX's column-name fallback (its only way for a query asset: a `TextClause` has no
    `selected_columns`) run the query under LIMIT 0. Postgres answers with the row description
    and no rows, so a batch's size no longer decides the process's memory. Installed once; a GX
    without the function (its internals moved) keeps its own behaviour."""
    import sqlalchemy as sa
    from great_expectations.expectations.metrics import util

    original = getattr(util, "column_reflection_fallback", None)
    if original is None or getattr(original, "_platform_limit_zero", False):
        return

    @functools.wraps(original)
    def fallback(selectable, dialect, sqlalchemy_engine, schema_name=None):
        if isinstance(selectable, sa.TextClause):
            selectable = sa.text(f"select * from ({selectable.text}) as columns_only limit 0")
        return original(selectable, dialect, sqlalchemy_engine, schema_name)

    fallback._platform_limit_zero = True
    util.column_reflection_fallback = fallback


def context() -> AbstractDataContext:
    """The process's GX context, created once: creating and configuring one is not free."""
    with _LOCK:
        return _context()


def _source_name(url: str) -> str:
    # A digest, not the URL: names show up in GX errors and must not carry a password.
    return "platform_" + hashlib.sha256(url.encode()).hexdigest()[:16]


def datasource(url: str) -> SQLDatasource:
    """The SQL datasource for `url`, registered on first use and reused afterwards."""
    from great_expectations.datasource.fluent.sql_datasource import GxDatasourceWarning

    name = _source_name(url)
    with _LOCK:
        sources = context().data_sources
        if name in sources.all():
            return sources.get(name)
        with warnings.catch_warnings():
            # "a more specific PostgresDatasource may be more appropriate": it rejects sockets.
            warnings.simplefilter("ignore", GxDatasourceWarning)
            return sources.add_sql(name=name, connection_string=sqlalchemy_url(url))


def batch(url: str, asset_name: str, query: str) -> Batch:
    """A whole-table batch of a query asset; a name seen before is replaced, not an error.

    The same check runs again in one process for the next partition or a re-run, with a new
    query; GX refuses a second asset of the same name, so the old one is dropped first.
    """
    with _LOCK:
        source = datasource(url)
        if asset_name in source.get_asset_names():
            source.delete_asset(asset_name)
        asset = source.add_query_asset(name=asset_name, query=query)
        return asset.add_batch_definition_whole_table("whole_table").get_batch()


def release(url: str) -> None:
    """Close the datasource's pooled connections, so idle ones do not pile up between runs."""
    with _LOCK:
        sources = context().data_sources
        name = _source_name(url)
        if name in sources.all():
            source = sources.get(name)
            source.get_execution_engine().engine.dispose()
            source.get_engine().dispose()


def validate(batch: Batch, expectations: Sequence[Expectation]) -> list[dict]:
    """Facts per expectation (JSON-ready); one that raises becomes a failed fact, not a crash."""
    return [_validate_one(batch, expectation) for expectation in expectations]


def _validate_one(batch: Batch, expectation: Expectation) -> dict:
    from great_expectations.expectations import UnexpectedRowsExpectation

    fmt = _COMPLETE if isinstance(expectation, UnexpectedRowsExpectation) else _SUMMARY
    try:
        result = batch.validate(expectation, result_format=fmt)
    except Exception as error:  # GX catches most errors itself; this is for the rest
        return {
            "expectation": expectation.expectation_type,
            "kwargs": _jsonable(expectation.configuration.kwargs),
            "success": False,
            "error": describe(error),
        }
    return facts(result)


def facts(result: ExpectationValidationResult) -> dict:
    """What a reader needs to understand the outcome: type, thresholds, what was observed."""
    data = result.to_json_dict()
    config = data["expectation_config"]
    out: dict[str, Any] = {
        "expectation": config["type"],
        "kwargs": {k: v for k, v in config["kwargs"].items() if k != "batch_id"},
        "success": bool(data["success"]),
    }
    for key in ("description", "meta"):
        if config.get(key):
            out[key] = config[key]
    found = data.get("result") or {}
    out.update({key: found[key] for key in _RESULT_KEYS if key in found})
    if found.get("partial_unexpected_list"):
        out["unexpected_sample"] = found["partial_unexpected_list"][:SAMPLE_SIZE]
    details = found.get("details") or {}
    if "unexpected_rows" in details:
        out["unexpected_rows"] = details["unexpected_rows"][:SAMPLE_SIZE]
    elif details:
        out["details"] = details
    errors = exception_messages(data.get("exception_info"))
    if errors:
        out["error"] = "; ".join(errors)
        out["success"] = False
    return _jsonable(out)


def exception_messages(info: dict | None) -> list[str]:
    """GX reports errors either flat or keyed by metric id; collect the distinct messages."""
    if not info:
        return []
    if "raised_exception" in info:
        return [_first_line(info.get("exception_message"))] if info["raised_exception"] else []
    messages = [
        message
        for value in info.values()
        if isinstance(value, dict)
        for message in exception_messages(value)
    ]
    return list(dict.fromkeys(messages))


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {_first_line(str(error))}"


def _first_line(message: str | None) -> str:
    """The driver's message without SQLAlchemy's echo of the statement and its help link."""
    text = (message or "unknown error").strip()
    return (text.splitlines() or ["unknown error"])[0][:500]


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
