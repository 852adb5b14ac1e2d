"""Hostile free text (quotes, SQL, backslashes, emoji, RTL, 100 kB, NUL) through the whole path.

Customer names and service-event notes are free text typed by people. They go from the source
(`ops.*`) through raw and staging into the embeddings and back out of semantic search. Every
text must arrive byte-identical and harm nothing: no statement is built from it, so no table
disappears and no row count changes. Postgres text cannot hold NUL: a NUL is refused at the
source write as a whole (nothing half-written), and a NUL in a search query never reaches SQL.
"""

import hashlib
import uuid
from datetime import date

import numpy as np
import psycopg
import pyarrow as pa
import pytest

from platform_assets.embeddings.assets import embedding_assets
from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.embeddings.scope import EVENT_TYPES
from platform_assets.embeddings.search import SNIPPET_CHARS, search
from platform_assets.ingest.assets import ingest_assets
from platform_assets.ingest.source import source_extent
from platform_assets.partitions import range_tags
from platform_assets.resources import PostgresResource
from platform_assets.simulator import OPS_TABLES, simulate
from platform_assets.simulator.load import simulation_params, write_ops

CUSTOMERS, DAYS, SEED = 30, 10, 23
END = date(2026, 6, 30)  # the simulated history ends here, like the ingest tests'
SCHEMAS = ("ops", "raw", "staging", "features", "vectors", "training", "ml", "quality")

HOSTILE = {
    "single_quotes": "O'Brien's bin wasn't emptied ''twice''",
    "double_quotes": 'Customer said "never again" and ""quoted"" twice',
    "semicolons": "lid broken; bin overflowing; call back;;",
    "injection": "'; DROP TABLE staging.customers; --",
    "injection_paren": "Robert'); DROP TABLE staging.service_events; --",
    "dollar_quotes": "$$; drop schema staging cascade; $$ $tag$ x $tag$",
    "backslashes": "C:\\bins\\new \\n is not a newline \\\\ \\t \\x00 \\N \\.",
    "copy_end_marker": "first line\n\\.\nthe line after COPY's end-of-data marker",
    "csv_and_tabs": 'a,b,"c",\r\nd\te\\,f\n',
    "format_strings": "%s %(day)s %% {0} {name} %n",
    "emoji": "🗑️🔥💩 overflowing 👍🏽 family 👨\u200d👩\u200d👧\u200d👦",
    "rtl": "الحاوية ممتلئة ولم يتم تفريغها \u202eevil override\u202c עברית",
    "combining": "東京 Ōsaka Straße e\u0301 Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ \ufeffBOM \u200bzw",
    "whitespace_edges": "   spaces before and after, and a tab\t",
    "markup": "<script>alert('x')</script> | a | markdown | table |\n|---|",
    "huge": "The bin overflowed again. " + "x" * 100_000 + " (end of a 100 kB note)",
}
QUERY_NUL = "overflowing bin\x00; DROP TABLE staging.customers; --"


def _replace(table: pa.Table, column: str, values: dict[int, str]) -> pa.Table:
    """`table` with `column` of rows i set to values[i] (everything else unchanged)."""
    data = table.column(column).to_pylist()
    for row, value in values.items():
        data[row] = value
    index = table.schema.get_field_index(column)
    return table.set_column(index, column, pa.array(data, type=pa.string()))


def hostile_source() -> tuple[dict[str, pa.Table], dict[str, str], dict[str, str]]:
    """A small clean simulation whose first customers and events carry the hostile texts."""
    tables = simulate(CUSTOMERS, DAYS, SEED, END, dirty_fraction=0.0)
    texts = list(HOSTILE.values())
    customers, events = tables["customers"], tables["service_events"]
    assert customers.num_rows >= len(texts) and events.num_rows >= len(texts)
    tables["customers"] = _replace(customers, "name", dict(enumerate(texts)))
    tables["service_events"] = _replace(events, "description", dict(enumerate(texts)))
    names = dict(zip(customers.column("id").to_pylist(), texts, strict=False))
    notes = dict(zip(events.column("id").to_pylist(), texts, strict=False))
    return tables, names, notes


def _tables(conn) -> set[tuple[str, str]]:
    return set(
        conn.execute(
            "select schemaname, tablename from pg_tables where schemaname = any(%s)",
            (list(SCHEMAS),),
        ).fetchall()
    )


def _count(conn, relation: str) -> int:
    return conn.execute(f"select count(*) from {relation}").fetchone()[0]  # code constants


def _run(url: str, assets, first: str, last: str, model=None, config=None):
    import dagster as dg

    return dg.materialize(
        assets,
        tags=range_tags(first, last),
        resources={
            "postgres": PostgresResource(database_url=url),
            "embedding_model": model or EmbeddingModel(),
        },
        run_config={"ops": config} if config else None,
        instance=dg.DagsterInstance.ephemeral(),
    )


@pytest.fixture(scope="module")
def model():
    return EmbeddingModel()


@pytest.fixture(scope="module")
def hostile(new_database, template_db, model):
    """The hostile source written, ingested and every note embedded (built once)."""
    url = new_database(f"hostile_{uuid.uuid4().hex[:8]}", template_db)
    tables, names, notes = hostile_source()
    with psycopg.connect(url, autocommit=True) as conn:
        before = _tables(conn)
        write_ops(conn, tables, simulation_params(CUSTOMERS, DAYS, SEED, END))
        first, last = source_extent(conn)
    assert _run(url, ingest_assets, first, last).success
    every_type = {
        "embeddings__service_event_embeddings": {"config": {"event_types": list(EVENT_TYPES)}}
    }
    assert _run(url, embedding_assets, first, last, model, every_type).success
    return {"url": url, "tables": tables, "names": names, "notes": notes, "before": before}


@pytest.fixture
def conn(hostile):
    with psycopg.connect(hostile["url"], autocommit=True) as connection:
        yield connection


def test_hostile_text_is_byte_identical_in_raw_and_staging(hostile, conn):
    names = dict(conn.execute("select id::text, name from staging.customers").fetchall())
    notes = dict(
        conn.execute("select id::text, description from staging.service_events").fetchall()
    )
    for row_id, text in hostile["names"].items():
        assert names[row_id].encode() == text.encode(), row_id
    for row_id, text in hostile["notes"].items():
        assert notes[row_id].encode() == text.encode(), row_id
    raw = dict(conn.execute("select id, description from raw.service_events").fetchall())
    assert {i: raw[i] for i in hostile["notes"]} == hostile["notes"]
    # Nothing was quarantined: hostile text is valid text.
    assert _count(conn, "quality.rejected_rows") == 0


def test_hostile_text_drops_nothing_and_changes_no_count(hostile, conn):
    # The first source write creates the ops tables; every platform table is still there.
    created = {("ops", name) for name in (*OPS_TABLES, "simulation_runs")}
    assert _tables(conn) == hostile["before"] | created
    for name, table in hostile["tables"].items():
        assert _count(conn, f"ops.{name}") == table.num_rows, name
        assert _count(conn, f"raw.{name}") == table.num_rows, name
        assert _count(conn, f"staging.{name}") == table.num_rows, name


def test_every_hostile_note_is_embedded_from_its_exact_text(hostile, conn, model):
    stored = {
        str(event_id): (checksum, np.asarray(vector, dtype=np.float32))
        for event_id, checksum, vector in conn.execute(
            "select event_id, checksum, embedding::real[]"
            " from vectors.service_event_embeddings where event_id = any(%s::uuid[])",
            (list(hostile["notes"]),),
        )
    }
    assert set(stored) == set(hostile["notes"])
    texts = list(hostile["notes"].values())
    expected = model.encode(texts).vectors
    for (event_id, text), vector in zip(hostile["notes"].items(), expected, strict=True):
        checksum, embedding = stored[event_id]
        # md5 of the UTF-8 bytes Python holds: Postgres hashed exactly the same bytes.
        assert checksum == hashlib.md5(text.encode()).hexdigest(), event_id
        assert float(np.dot(embedding, vector)) > 0.9999, event_id
    assert _count(conn, "vectors.skipped_texts") == 0


@pytest.mark.parametrize("name", list(HOSTILE))
def test_search_finds_each_hostile_note_by_its_own_text(hostile, conn, model, name):
    text = HOSTILE[name]
    event_id = next(i for i, t in hostile["notes"].items() if t == text)
    hits = search(conn, model, text, k=3)
    assert len(hits) == 3
    assert str(hits[0].event_id) == event_id
    assert hits[0].distance < 1e-4
    assert hits[0].snippet == text[:SNIPPET_CHARS]  # the snippet is the stored text, unchanged
    assert hits[0].event_type in EVENT_TYPES


def test_hostile_queries_and_filters_harm_nothing(hostile, conn, model):
    before = {t: _count(conn, f"{t[0]}.{t[1]}") for t in _tables(conn) if t[0] != "ops"}
    org = hostile["tables"]["organizations"].column("id")[0].as_py()
    for text in HOSTILE.values():
        hits = search(conn, model, text, k=5, org=org, since=date(2026, 6, 1))
        assert 1 <= len(hits) <= 5
    after = {t: _count(conn, f"{t[0]}.{t[1]}") for t in _tables(conn) if t[0] != "ops"}
    assert after == before


def test_a_nul_in_a_search_query_is_handled_without_reaching_sql(hostile, conn, model):
    # The text is embedded in Python; only its vector is bound into SQL, so a NUL is harmless.
    hits = search(conn, model, QUERY_NUL, k=4)
    assert len(hits) == 4
    assert [h.distance for h in hits] == sorted(h.distance for h in hits)
    assert _count(conn, "staging.customers") == CUSTOMERS


def test_an_unknown_event_type_filter_is_refused_before_sql(hostile, conn, model):
    with pytest.raises(ValueError, match="unknown event type"):
        search(conn, model, "bin", event_type="complaint'; drop table staging.customers; --")
    assert _count(conn, "staging.customers") == CUSTOMERS


@pytest.mark.parametrize(
    ("table", "column"), [("customers", "name"), ("service_events", "description")]
)
def test_a_nul_in_the_source_is_refused_whole_and_the_previous_history_stays(db_url, table, column):
    """Postgres text cannot hold NUL: the write fails with a clear error and rolls back."""
    tables = simulate(CUSTOMERS, 5, SEED, END, dirty_fraction=0.0)
    params = simulation_params(CUSTOMERS, 5, SEED, END)
    with psycopg.connect(db_url, autocommit=True) as conn:
        write_ops(conn, tables, params)
        counts = {name: _count(conn, f"ops.{name}") for name in tables}
        runs = _count(conn, "ops.simulation_runs")
        poisoned = dict(tables)
        poisoned[table] = _replace(tables[table], column, {2: "before NUL\x00after NUL"})
        other = simulation_params(CUSTOMERS + 1, 5, SEED, END)
        with pytest.raises(psycopg.DataError) as caught:
            write_ops(conn, poisoned, other)
        message = str(caught.value)
        # Postgres' own words name the byte, the table and the line: clear enough to act on.
        assert "0x00" in message and "UTF8" in message and f"COPY {table}, line 3" in message
        assert not conn.info.transaction_status  # idle: the failed write left no transaction
        assert {name: _count(conn, f"ops.{name}") for name in tables} == counts
        assert _count(conn, "ops.simulation_runs") == runs
        newest = conn.execute(
            "select params from ops.simulation_runs order by simulated_at desc limit 1"
        ).fetchone()[0]
        assert newest == params
