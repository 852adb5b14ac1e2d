"""Every name that config or the command line accepts is validated before any SQL runs.

The strong form of "before any SQL": the database URL points at a port where nothing listens
(`127.0.0.1:9`). A name refused for what it is proves the check ran before connecting; a
"cannot connect" would mean the name was on its way to the database.
"""

import os
import subprocess
import sys

import dagster as dg
import psycopg
import pytest
from psycopg import sql
from testkit import run_main

from platform_assets.db.sql import InvalidIdentifier, identifier, table
from platform_assets.embeddings.assets import service_event_embeddings
from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.features.customer_topics_daily import customer_topics_daily
from platform_assets.resources import ArtifactStore, PostgresResource
from platform_assets.training.assets import training_assets

UNREACHABLE = "postgresql://u:pw@127.0.0.1:9/x"
CLI = [sys.executable, "-m", "platform_assets.cli"]

GOOD = ["a", "_", "churn_risk", "customer_daily", "t_0123abcd", "x" * 63, "_private9"]
BAD = [
    "a;b",
    '"x"',
    "Robert'); drop table ml.models; --",
    "x" * 64,
    "Churn_Risk",
    "UPPER",
    "1abc",
    "",
    " ",
    "abc\n",  # `$` in a regex matches before a trailing newline: the check must not
    "\nabc",
    "churn risk",
    "churn-risk",
    "ml.models",
    "../etc",
    "café",
    "nul\x00byte",
    "a/*c*/",
]


@pytest.mark.parametrize("name", GOOD)
def test_plain_lower_case_names_are_identifiers(name):
    assert identifier(name) == name
    assert table("staging", name) == sql.Identifier("staging", name)


@pytest.mark.parametrize("name", BAD)
def test_everything_else_is_refused(name):
    with pytest.raises(InvalidIdentifier, match="invalid identifier"):
        identifier(name)
    with pytest.raises(InvalidIdentifier):
        table("staging", name)
    with pytest.raises(InvalidIdentifier):
        table(name, "customers")


@pytest.mark.parametrize("value", [None, 1, b"abc", ["abc"]])
def test_non_strings_are_refused(value):
    with pytest.raises(InvalidIdentifier):
        identifier(value)


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, capsys):
    """`platform-assets ...` in this process: exit code, stdout, stderr."""

    def run(*args: str, url: str = UNREACHABLE) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", url)
        return run_main(capsys, *args)

    return run


MODEL_COMMANDS = [
    ("models", "list"),
    ("models", "show"),
    ("models", "promote", "{name}", "1"),
    ("models", "rollback"),
]


def _command(template: tuple[str, ...], name: str) -> list[str]:
    if "{name}" in template:
        return [part.replace("{name}", name) for part in template]
    return [*template, name]


@pytest.mark.parametrize("name", BAD)
@pytest.mark.parametrize("template", MODEL_COMMANDS, ids=lambda t: " ".join(t[:2]))
def test_models_commands_refuse_a_bad_name_before_connecting(cli, template, name):
    code, out, err = cli(*_command(template, name))
    assert code == 1
    assert err.startswith("error: invalid identifier"), err
    assert "connect" not in err and "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize("template", MODEL_COMMANDS, ids=lambda t: " ".join(t[:2]))
def test_models_commands_refuse_an_unknown_model_before_connecting(cli, template):
    code, _, err = cli(*_command(template, "no_such_model"))
    assert code == 1
    assert "unknown model 'no_such_model'" in err and "connect" not in err


def _snapshot(url: str) -> dict:
    """Every platform table and the row count of each ml.* table."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "select schemaname, tablename from pg_tables"
            " where schemaname not in ('pg_catalog', 'information_schema') order by 1, 2"
        ).fetchall()
        counts = {
            (schema, name): conn.execute(
                sql.SQL("select count(*) from {}").format(sql.Identifier(schema, name))
            ).fetchone()[0]
            for schema, name in tables
            if schema == "ml"
        }
    return {"tables": tables, "counts": counts}


def test_a_refused_name_leaves_a_real_database_untouched(cli, db_url):
    before = _snapshot(db_url)
    assert ("ml", "models") in before["tables"]
    for template in MODEL_COMMANDS:
        for name in ("Robert'); drop table ml.models; --", "x; drop schema ml cascade"):
            code, _, err = cli(*_command(template, name), url=db_url)
            assert code == 1 and "invalid identifier" in err
    assert _snapshot(db_url) == before


@pytest.mark.slow
def test_the_real_cli_refuses_bad_names_and_choices_without_a_traceback():
    """Subprocesses, as a user runs them (started together: each pays the imports)."""
    cases = {
        ("models", "show", "Robert'); drop table ml.models; --"): (1, "invalid identifier"),
        ("search", "bins", "--event-type", "complaint'; drop table x; --"): (2, "invalid choice"),
        ("search", "bins", "--org", "1; drop table x"): (2, "invalid UUID value"),
        ("backfill", "--from", "2026-01-01'; --", "--to", "2026-01-02"): (2, "not a date"),
        ("db", "status; drop table x"): (2, "invalid choice"),
    }
    env = os.environ | {"DATABASE_URL": UNREACHABLE}
    processes = {
        args: subprocess.Popen(
            [*CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for args in cases
    }
    for args, process in processes.items():
        out, err = process.communicate(timeout=300)  # a loaded machine imports slowly
        code, message = cases[args]
        assert process.returncode == code, (args, err)
        assert message in err, (args, err)
        assert "Traceback" not in err and "connect" not in err, (args, err)
        assert out == ""


# --- Dagster config -------------------------------------------------------------------------------


def _errors(result: dg.ExecuteInProcessResult) -> str:
    """Every message of the failed steps' error chains."""
    messages = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None:
            messages.append(error.message)
            error = error.cause
    return "\n".join(messages)


def _materialize(assets, config: dict, partition: str | None = "2026-06-30"):
    return dg.materialize(
        assets,
        partition_key=partition,
        run_config={"ops": config},
        resources={
            "postgres": PostgresResource(database_url=UNREACHABLE),
            "embedding_model": EmbeddingModel(),
            "artifacts": ArtifactStore(root="/nonexistent/never-written"),
        },
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


EVENT_TYPES_BAD = [
    ["complaint'; drop table staging.customers; --"],
    ["Complaint"],
    ["complaint", "teleport"],
    [],
]


@pytest.mark.parametrize("event_types", EVENT_TYPES_BAD)
@pytest.mark.parametrize(
    "asset", [service_event_embeddings, customer_topics_daily], ids=lambda a: a.key.path[-1]
)
def test_event_type_config_is_refused_before_connecting(asset, event_types):
    node = asset.key.to_python_identifier()
    result = _materialize([asset], {node: {"config": {"event_types": event_types}}})
    assert not result.success
    errors = _errors(result)
    assert "event types must be a non-empty subset of" in errors
    assert "cannot connect" not in errors


def test_index_memory_config_is_refused_before_connecting():
    node = service_event_embeddings.key.to_python_identifier()
    config = {"index_build_memory": "512MB'); reset all; --"}
    result = _materialize([service_event_embeddings], {node: {"config": config}})
    assert not result.success
    errors = _errors(result)
    assert "validation error for EmbeddingConfig\nindex_build_memory" in errors
    assert "String should match pattern" in errors and "cannot connect" not in errors


@pytest.mark.parametrize(
    "window",
    [
        {"first_label_date": "2026-07-01'; drop table training.datasets; --"},
        {"last_label_date": "2026-13-01"},
        {"first_label_date": "yesterday"},
    ],
)
def test_training_window_config_is_refused_before_connecting(window):
    asset = training_assets[0]
    node = asset.key.to_python_identifier()
    result = _materialize([asset], {node: {"config": window}}, partition=None)
    assert not result.success
    errors = _errors(result)
    ((name, value),) = window.items()
    assert f"{name} must be a date (YYYY-MM-DD), got {value!r}" in errors
    assert "cannot connect" not in errors
