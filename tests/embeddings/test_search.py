"""Semantic search against real vectors: filters that still return k rows, SQL similarity, CLI."""

import uuid
from datetime import date, timedelta

import numpy as np
import psycopg
import pytest
from embedding_data import EMBEDDED, add_event, clone, embed_all, embedded_template
from testkit import create_database

from platform_assets.embeddings.cli import main_search
from platform_assets.embeddings.model import DimensionMismatch, EmbeddingModel
from platform_assets.embeddings.search import format_hits, search, search_vector

TEMPLATE = "embeddings_search"
PLANTED_ORG = uuid.UUID(int=4242)
PLANTED = 200
QUERY = "the bins smell terrible and attract flies"


@pytest.fixture(scope="module")
def model():
    return EmbeddingModel()


@pytest.fixture(scope="module")
def history(server_url, template_db):
    """Simulated events plus 200 workshop notes of one more organization, all embedded.

    The planted notes are about vehicle repairs: far from a query about smelly bins, so the
    HNSW index's first ef_search candidates hold none of them and an org filter is selective.
    """
    first, last = embedded_template(server_url, template_db)
    url = create_database(server_url, TEMPLATE, template=EMBEDDED)
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(PLANTED):
            add_event(
                conn,
                f"Workshop job {i}: truck {i % 17} had its hydraulic hose replaced and brakes "
                f"tested ({i % 5} hours).",
                event_type="maintenance",
                org=PLANTED_ORG,
                day=last,
            )
    embed_all(url, first, last)
    return first, last


@pytest.fixture
def url(server_url, history):
    return clone(server_url, TEMPLATE)


@pytest.fixture
def conn(url):
    with psycopg.connect(url, autocommit=True) as connection:
        yield connection


def _exact(conn, vector: np.ndarray, k: int, org: uuid.UUID | None = None) -> list[tuple]:
    """The true k nearest (event_id, distance) by a sequential scan (the index switched off)."""
    with conn.transaction():
        conn.execute("set local enable_indexscan = off")
        conn.execute("set local enable_seqscan = on")
        conn.execute("set local enable_sort = on")
        rows = conn.execute(
            "select v.event_id, v.embedding <=> %(q)s::vector"
            " from vectors.service_event_embeddings v"
            " join staging.service_events e on e.id = v.event_id"
            " where %(org)s::uuid is null or e.organization_id = %(org)s::uuid"
            " order by v.embedding <=> %(q)s::vector, v.event_id limit %(k)s",
            {"org": org, "q": "[" + ",".join(map(repr, vector.tolist())) + "]", "k": k},
        ).fetchall()
    return rows


def _as_good_as_exact(hits, exact, tolerance: float = 0.01) -> bool:
    """Approximate search may swap near-ties: compare distances rank by rank, not ids."""
    return all(h.distance <= d + tolerance for h, (_, d) in zip(hits, exact, strict=True))


def _force_index(conn) -> None:
    """The tables are tiny, so the planner would sort every row exactly: make it use HNSW."""
    conn.execute("set enable_seqscan = off")
    conn.execute("set enable_sort = off")


def test_search_finds_notes_on_the_topic(conn, model):
    hits = search(conn, model, QUERY, k=10)
    assert len(hits) == 10
    assert [h.distance for h in hits] == sorted(h.distance for h in hits)
    on_topic = [h for h in hits if any(w in h.snippet.lower() for w in ("smell", "stink", "flies"))]
    assert len(on_topic) >= 8, format_hits(hits)
    vector = model.encode([QUERY]).vectors[0]
    assert _as_good_as_exact(hits, _exact(conn, vector, 10))


def test_a_selective_org_filter_still_returns_k_rows_through_the_index(conn, model):
    vector = model.encode([QUERY]).vectors[0]
    _force_index(conn)
    text = "[" + ",".join(map(repr, vector.tolist())) + "]"
    plain = conn.execute(  # what a filter does to a plain (non-iterative) HNSW scan
        "select count(*) from (select v.event_id from vectors.service_event_embeddings v"
        " join staging.service_events e on e.id = v.event_id where e.organization_id = %s"
        " order by v.embedding <=> %s::vector limit 10) as t",
        (PLANTED_ORG, text),
    ).fetchone()[0]
    assert plain < 10  # the first ef_search=40 candidates are all other orgs' notes

    plan = conn.execute(
        "explain select v.event_id from vectors.service_event_embeddings v"
        " join staging.service_events e on e.id = v.event_id where e.organization_id = %s"
        " order by v.embedding <=> %s::vector limit 10",
        (PLANTED_ORG, text),
    ).fetchall()
    assert any("service_event_embeddings_hnsw" in row[0] for row in plan)

    hits = search(conn, model, QUERY, k=10, org=PLANTED_ORG)
    assert len(hits) == 10
    assert {h.event_type for h in hits} == {"maintenance"}
    org_of = dict(conn.execute(
        "select id, organization_id from staging.service_events where id = any(%s)",
        ([h.event_id for h in hits],),
    ))
    assert set(org_of.values()) == {PLANTED_ORG}
    assert _as_good_as_exact(hits, _exact(conn, vector, 10, PLANTED_ORG))


def test_when_the_index_gives_up_the_exact_fallback_returns_k_rows(conn, model):
    _force_index(conn)
    vector = model.encode([QUERY]).vectors[0]
    hits = search_vector(conn, vector, model.name(), k=10, org=PLANTED_ORG, max_scan_tuples=1)
    assert [h.event_id for h in hits] == [e for e, _ in _exact(conn, vector, 10, PLANTED_ORG)]


def test_event_type_and_since_filters(conn, model, history):
    _, last = history
    since = date.fromisoformat(last) - timedelta(days=6)
    hits = search(conn, model, QUERY, k=7, event_type="complaint", since=since)
    assert hits, "the last week has complaints in this history"
    assert all(h.event_type == "complaint" for h in hits)
    assert all(h.service_date.date() >= since for h in hits)
    with pytest.raises(ValueError, match="unknown event type"):
        search(conn, model, QUERY, event_type="complaint'; --")


def test_a_query_vector_of_another_dimension_is_refused(conn, model):
    with pytest.raises(DimensionMismatch, match=r"has 128 dimensions.*vector\(384\)"):
        search_vector(conn, np.ones(128, np.float32), model.name())


def test_similar_events_sql_function(conn):
    event_id, text = conn.execute(
        "select e.id, e.description from staging.service_events e"
        " join vectors.service_event_embeddings v on v.event_id = e.id"
        " where e.description ilike '%%smell%%' order by e.id limit 1"
    ).fetchone()
    rows = conn.execute(
        "select event_id, distance, event_type, service_date, description"
        " from vectors.similar_events(%s, 5)",
        (event_id,),
    ).fetchall()
    assert len(rows) == 5 and event_id not in {r[0] for r in rows}
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)
    assert sum("smell" in r[4].lower() or "stink" in r[4].lower() for r in rows) >= 3, rows
    default_k = conn.execute("select count(*) from vectors.similar_events(%s)", (event_id,))
    assert default_k.fetchone()[0] == 10
    unknown = conn.execute("select count(*) from vectors.similar_events(%s)", (uuid.uuid4(),))
    assert unknown.fetchone()[0] == 0


def test_cli_search_prints_k_hits(url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", url)
    main_search([QUERY, "--k", "3", "--event-type", "complaint"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["#", "distance", "event_type"]
    assert [line.split()[0] for line in lines[1::2]] == ["1", "2", "3"]
    with pytest.raises(SystemExit):
        main_search(["   "])
    assert "search text is empty" in capsys.readouterr().err
