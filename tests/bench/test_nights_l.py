"""nights_l's pure parts: the multiply keeps keys consistent, the slow-statement log parses."""

import uuid

import pytest

from bench import multiply, slow_log
from bench.results import BLOCK_UNIT, render_benchmark, row
from platform_assets.simulator.load import ensure_ops_schema

ORG, CUSTOMER, BIN, EVENT = (uuid.UUID(int=n) for n in (1, 2, 3, 4))
VECTOR = "[" + ",".join(["0.5"] * 384) + "]"


def _seed(conn) -> None:
    ensure_ops_schema(conn)
    t = "2026-06-01 12:00+00"
    conn.execute("insert into ops.organizations values (%s, 'org', %s, %s)", (ORG, t, t))
    conn.execute("insert into ops.customers (id, organization_id, updated_at) values (%s, %s, %s)",
                 (CUSTOMER, ORG, t))
    conn.execute("insert into ops.bins (id, customer_id, organization_id, updated_at)"
                 " values (%s, %s, %s, %s)", (BIN, CUSTOMER, ORG, t))
    conn.execute(
        "insert into staging.customers (id, organization_id, service_tier, status, created_at,"
        " updated_at, partition_key, load_id, staged_at)"
        " values (%s, %s, 'basic', 'active', %s, %s, '2026-06-01', 'load-1', %s)",
        (CUSTOMER, ORG, t, t, t))
    conn.execute("insert into vectors.service_event_embeddings (event_id, embedding, model,"
                 " model_version, checksum, partition_key) values (%s, %s, 'm', 'v1', 'c',"
                 " '2026-06-01')", (EVENT, VECTOR))
    conn.execute(
        "insert into vectors.metadata (entity_type, entity_id, vector_id, model, model_version,"
        " dimensions, checksum, generated_at, organization_id, partition_key)"
        " values ('service_event', %s, %s, 'm', 'v1', 384, 'c', %s, %s, '2026-06-01')",
        (EVENT, f"vectors.service_event_embeddings/{EVENT}", t, ORG))
    conn.execute(
        "insert into quality.rejected_rows (source_table, source_id, reason, raw_row,"
        " partition_key, run_id) values ('bins', %s, 'unknown customer', %s, '2026-06-01', 'r')",
        (str(BIN), f'{{"id": "{BIN}", "customer_id": "{CUSTOMER}", "lat": 1.5}}'))


def test_the_copies_of_a_world_keep_its_keys_and_joins(conn):
    _seed(conn)
    progress = multiply.multiply(conn, 3, {}, log=lambda _: None)
    assert progress["ops.customers"] == progress["ops.customers"] | {"base_rows": 1, "rows": 3}
    assert "raw.customers" not in progress and "features.registry" not in progress
    one = conn.execute
    assert one("select count(distinct id) from ops.customers").fetchone()[0] == 3
    # every copied bin's customer and organization exist, and staging holds the same ids as ops
    assert one("select count(*) from ops.bins as b join ops.customers as c on c.id = b.customer_id"
               " join ops.organizations as o on o.id = b.organization_id").fetchone()[0] == 3
    assert one("select count(*) from staging.customers as s join ops.customers as c"
               " using (id, organization_id)").fetchone()[0] == 3
    # text and jsonb ids are mapped like the uuid columns
    assert one("select count(*) from vectors.metadata as m join vectors.service_event_embeddings"
               " as e on m.vector_id = 'vectors.service_event_embeddings/' || e.event_id"
               " and m.entity_id = e.event_id").fetchone()[0] == 3
    assert one("select count(*) from quality.rejected_rows as r"
               " join ops.customers as c on c.id::text = r.raw_row ->> 'customer_id'"
               " join ops.bins as b on b.id::text = r.source_id and b.id::text = r.raw_row ->> 'id'"
               " where r.raw_row ->> 'lat' = '1.5'").fetchone()[0] == 3
    # the copies' vectors are near the original, not equal to it
    distances = [d for (d,) in one("select e.embedding <=> %s::vector from"
                                   " vectors.service_event_embeddings as e", (VECTOR,))]
    assert sorted(d == 0 for d in distances) == [False, False, True]
    assert max(distances) < 0.01
    # a finished multiply is not repeated, nor a table copied but not recorded (died between)
    progress["ops.customers"] = {"base_rows": 1}
    again = multiply.multiply(conn, 3, progress, log=lambda _: None)
    assert again["ops.customers"]["rows"] == 3
    assert one("select count(*) from ops.customers").fetchone()[0] == 3
    assert one("select count(*) from ops.bins").fetchone()[0] == 3


def test_a_text_id_column_nobody_classified_stops_the_multiply():
    with pytest.raises(ValueError, match="TEXT_IDS"):
        multiply.classify("staging", "things", "owner_id", "text", False)
    assert multiply.classify("staging", "things", "load_id", "text", False) == ""
    assert multiply.classify("ml", "predictions", "model_id", "uuid", True) == ""


LOG = """\
2026-12-04 10:00:00.100 UTC [41] LOG:  duration: 250.5 ms  execute <unnamed>: -- the day
\tselect * from staging.service_events
\twhere partition_key between $1 and $2
2026-12-04 10:00:00.101 UTC [41] DETAIL:  Parameters: $1 = '2026-11-22', $2 = 'it''s'
2026-12-04 10:00:01.000 UTC [42] LOG:  duration: 900.0 ms  statement: copy ops.x from stdin
2026-12-04 10:00:02.000 UTC [41] LOG:  duration: 120.0 ms  execute <unnamed>: -- the day
\tselect * from staging.service_events
\twhere partition_key between $1 and $2
2026-12-04 10:00:02.001 UTC [41] DETAIL:  Parameters: $1 = '2026-11-21', $2 = NULL
"""


def test_the_server_log_gives_each_slow_statement_with_its_parameters():
    logged = slow_log.parse(LOG)
    assert [(e.ms, e.pid) for e in logged] == [(250.5, 41), (900.0, 42), (120.0, 41)]
    top = slow_log.slowest(logged, 5)
    assert [e.ms for e in top] == [900.0, 250.5]  # one entry per text, its slowest run
    assert top[1].bound().endswith("between '2026-11-22' and 'it''s'")
    assert not slow_log.explainable(top[0].text) and slow_log.explainable(top[1].text)
    assert slow_log.explainable("create temp table _b on commit drop as select 1")


def test_a_block_row_shows_after_the_table_as_it_is():
    rows = [row("n", "wall", 1.5, "s", scale="x", measured_at="t"),
            row("n", "plan_1", "Seq Scan on t\n  Filter: (a | b)", BLOCK_UNIT, scale="x",
                measured_at="t")]
    text = "\n".join(render_benchmark("n", rows, {}, ""))
    assert "| wall | 1.5 s |" in text and "plan_1 |" not in text
    assert "**plan_1**\n\n```\nSeq Scan on t\n  Filter: (a | b)\n```" in text


def test_an_insert_whose_rows_are_there_already_is_explained_into_an_empty_copy(conn):
    conn.execute("create table public.t (id int primary key, v text)")
    conn.execute("insert into public.t values (1, 'a')")
    entry = slow_log.Logged(5.0, "execute <unnamed>", '-- one row\ninsert into "public"."t" as x'
                            " (id, v) select $1, $2", 1,
                            {1: "1", 2: "'b'"})
    assert slow_log.insert_target(entry.text) == ("public", "t")
    plan, how = slow_log.explain(conn, entry, 10)
    assert "Insert on nl_explain_target" in plan and how.startswith("into an empty copy")
    conn.execute("insert into public.t values (2, 'c')")  # the session is usable afterwards
    entry.text = "select * from public.t where id = $1"
    plan, how = slow_log.explain(conn, entry, 10)
    assert "Index Scan" in plan or "Seq Scan" in plan
    assert how == ""
    assert conn.execute("select count(*) from public.t").fetchone()[0] == 2
