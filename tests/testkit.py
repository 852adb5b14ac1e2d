"""Constants and helpers the tests share, importable as `testkit` from any test directory.

(Test modules must not import from `conftest`: several directories have one, and which module
answers to that name depends on collection order.)"""

import functools
import importlib.util
import os
import signal
import socket
import subprocess
import threading
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import dagster as dg
import psycopg
from psycopg import sql

from platform_assets.db import server
from platform_assets.partitions import RANGE_END_TAG, RANGE_START_TAG

TEMPLATE = "platform_template"
END_DATE = "2026-06-30"  # the simulated history used by ingest tests ends here (a Tuesday)


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("create database {} {}").format(
                psycopg.sql.Identifier(name),
                psycopg.sql.SQL("template {}").format(psycopg.sql.Identifier(template))
                if template
                else psycopg.sql.SQL(""),
            )
        )
    return server.with_database(server_url, name)


def fingerprint(
    conn: psycopg.Connection,
    table: str,
    where: Mapping[str, object] | None = None,
    drop: Iterable[str] = (),
) -> tuple[int, str]:
    """(rows, md5 of the rows) of `table` ("schema.name"): only the rows whose columns equal the
    values of `where`, each row as jsonb text without the `drop` columns (what differs between
    two loads of the same rows: load ids, timestamps).

    Rows are hashed in the order of their text, so the result needs no key and ignores physical
    order; equal fingerprints mean equal multisets of rows.
    """
    where = dict(where or {})
    conditions = [sql.SQL("{} = %s").format(sql.Identifier(column)) for column in where]
    query = sql.SQL(
        "select count(*), md5(coalesce(string_agg(r, '|' order by r), ''))"
        " from (select (to_jsonb(t) - %s::text[])::text as r from {} t where {}) s"
    ).format(
        sql.Identifier(*table.split(".")),
        sql.SQL(" and ").join(conditions) if conditions else sql.SQL("true"),
    )
    count, digest = conn.execute(query, [list(drop), *where.values()]).fetchone()
    return count, digest


def partition_range(tags: dict[str, str]) -> tuple[str, str]:
    """The (first, last) partitions a run's tags ask for: the inverse of `range_tags`."""
    return tags[RANGE_START_TAG], tags[RANGE_END_TAG]


def metadata(result, key: str) -> dict:
    """The metadata values of `key`'s materialization in `result` (a run's result)."""
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key == dg.AssetKey.from_user_string(key):
            return {k: v.value for k, v in materialization.metadata.items()}
    raise AssertionError(f"{key} was not materialized")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_dagster_dev(process: subprocess.Popen) -> None:
    """dagster dev outlives SIGTERM for a while: SIGINT, wait, then end its process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """`platform-assets ARGS` in this process: (exit code, stdout, stderr)."""
    from platform_assets.cli import main

    code = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def run_together(target, calls: Iterable[tuple], timeout: float = 300) -> list[Exception]:
    """Call `target(*args)` for each args in its own thread, all released at once (a barrier),
    as concurrent runs would; return the exceptions they raised."""
    calls = list(calls)
    barrier = threading.Barrier(len(calls))
    errors: list[Exception] = []

    def call(args: tuple) -> None:
        try:
            barrier.wait()
            target(*args)
        except Exception as error:  # noqa: BLE001 - returned to the test
            errors.append(error)

    threads = [threading.Thread(target=call, args=(args,)) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors


@functools.cache
def models_world():
    """tests/models/conftest.py as a plain module (its World class and world parameters),
    loaded on first use so that collecting a directory imports no definitions."""
    path = Path(__file__).resolve().parent / "models" / "conftest.py"
    spec = importlib.util.spec_from_file_location("models_world", path)
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():  # loading the definitions inside a test warns of betas
        warnings.simplefilter("ignore", dg.BetaWarning)
        spec.loader.exec_module(module)
    return module


def small_world(server_url: str, new_database, template_db: str, name: str,
                view: dg.AssetKey, artifacts: Path) -> str:
    """The models tests' world template when they built it this session; else the same
    simulation built as `name` with ingest and `view` only (a Dagster run over 150 days costs
    minutes, most of it embedding notes that these tests do not read)."""
    from platform_assets.embeddings.model import EmbeddingModel
    from platform_assets.partitions import range_tags
    from platform_assets.resources import ArtifactStore, PostgresResource

    models = models_world()
    with psycopg.connect(server_url, autocommit=True) as conn:
        built = conn.execute("select 1 from pg_database where datname = %s",
                             (models.WORLD,)).fetchone()
    if built:
        return models.WORLD
    url = new_database(name, template_db)
    size = (models.CUSTOMERS, models.DAYS, models.SEED, models.END)
    with psycopg.connect(url, autocommit=True) as conn:
        models.write_ops(conn, models.simulate(*size), models.simulation_params(*size))
    result = dg.materialize(
        list(models.defs.assets),
        instance=dg.DagsterInstance.ephemeral(),
        selection=dg.AssetSelection.groups("ingest") | dg.AssetSelection.assets(view),
        tags=range_tags(models.FIRST_DAY, models.END.isoformat()),
        resources={
            "postgres": PostgresResource(database_url=url),
            "artifacts": ArtifactStore(root=str(artifacts)),
            "embedding_model": EmbeddingModel(),
        },
    )
    assert result.success
    return name
