"""Ingest against a real Postgres: conservation, quarantine, idempotence, late corrections."""

import json
import uuid
from datetime import date

import psycopg
import pytest
from testkit import END_DATE, fingerprint

from platform_assets.ingest.assets import ingest_assets, raw_assets, staging_assets
from platform_assets.ingest.source import source_extent
from platform_assets.ingest.tables import SOURCE_TABLES
from platform_assets.simulator import simulate
from platform_assets.simulator.load import simulation_params, write_ops

CUSTOMERS, DAYS, SEED = 150, 30, 11
# The reason ingest gives for each kind of defect the simulator plants.
PLANTED_REASONS = {
    "negative_weight": "negative weight_kg",
    "fill_out_of_range": "fill_level_pct outside 0-100",
    "future_service_date": "service_date in the future",
    "null_customer_on_pickup": "missing customer_id or bin_id on a customer event",
    "orphan_reference": {"unknown bin_id", "unknown customer_id"},
}


def write_source(url: str, dirty_fraction: float = 0.03) -> dict:
    end = date.fromisoformat(END_DATE)
    tables = simulate(CUSTOMERS, DAYS, SEED, end, dirty_fraction=dirty_fraction)
    with psycopg.connect(url, autocommit=True) as conn:
        write_ops(conn, tables, simulation_params(CUSTOMERS, DAYS, SEED, end))
    return tables


def extent(conn) -> tuple[str, str]:
    return source_extent(conn)


def scalar(conn, query: str, params=()):
    return conn.execute(query, params).fetchone()[0]


def staging_fingerprint(conn, name: str) -> tuple[int, str]:
    """A staging table's content, without load bookkeeping."""
    return fingerprint(conn, f"staging.{name}", drop=("load_id", "staged_at"))


@pytest.fixture
def source(db_url):
    return write_source(db_url)


def test_backfill_conserves_rows_and_quarantines_exactly_the_planted_defects(
    source, conn, materialize
):
    first, last = extent(conn)
    result = materialize(ingest_assets, first, last)
    assert result.success

    for table in SOURCE_TABLES:
        ops = scalar(conn, f"select count(*) from ops.{table.name}")
        raw = scalar(conn, f"select count(*) from raw.{table.name}")
        staged = scalar(conn, f"select count(*) from staging.{table.name}")
        rejected = scalar(
            conn,
            "select count(*) from quality.rejected_rows where source_table = %s",
            (table.name,),
        )
        assert raw == ops, table.name
        assert staged + rejected == raw, table.name  # one version per id in this source
        events = result.asset_materializations_for_node(f"staging__{table.name}")
        meta = events[0].metadata
        assert meta["rows_in"].value == meta["rows_staged"].value + meta["rows_rejected"].value + (
            meta["rows_superseded"].value
        )

    planted = json.loads(source["service_events"].schema.metadata[b"planted_defects"])
    assert sum(planted.values()) > 0
    reasons = dict(
        conn.execute(
            "select reason, count(*) from quality.rejected_rows"
            " where source_table = 'service_events' group by reason"
        ).fetchall()
    )
    for kind, expected in PLANTED_REASONS.items():
        names = expected if isinstance(expected, set) else {expected}
        assert sum(reasons.get(n, 0) for n in names) == planted[kind], kind
    assert sum(reasons.values()) == sum(planted.values())
    assert (
        scalar(
            conn,
            "select count(*) from quality.rejected_rows where source_table <> 'service_events'",
        )
        == 0
    )


def _crafted_rows(conn, partition: str) -> dict[str, tuple[str, dict]]:
    """Raw rows cloned from a clean pickup of `partition`, each broken in one way."""
    template = conn.execute(
        "select to_jsonb(r) from raw.service_events r where partition_key = %s"
        " and event_type = 'pickup' limit 1",
        (partition,),
    ).fetchone()[0]
    cases = {
        "missing id": {"id": None},
        "missing organization_id": {"organization_id": None},
        "unparseable id": {"id": "not-a-uuid"},
        "unparseable weight_kg": {"weight_kg": "12,5 kg"},
        "unparseable service_date": {"service_date": "2026-13-45 25:00"},
        "negative weight_kg": {"weight_kg": "-3.5"},
        "fill_level_pct outside 0-100": {"fill_level_pct": "140"},
        "service_date in the future": {"service_date": "2099-01-01 08:00:00+00"},
        "unknown customer_id": {"customer_id": str(uuid.uuid4())},
        "missing customer_id or bin_id on a customer event": {"customer_id": None},
        "unknown event_type": {"event_type": "teleport"},
    }
    rows = {}
    for reason, change in cases.items():
        row = template | {"id": str(uuid.uuid4())} | change
        rows[reason] = row
    return rows


def test_every_kind_of_bad_row_is_quarantined_with_its_reason(db_url, conn, materialize):
    write_source(db_url, dirty_fraction=0.0)
    first, last = extent(conn)
    assert materialize(ingest_assets, first, last).success
    crafted = _crafted_rows(conn, last)
    for row in crafted.values():
        conn.execute(
            "insert into raw.service_events select * from"
            " jsonb_populate_record(null::raw.service_events, %s)",
            (json.dumps(row),),
        )
    # Two clean versions of one id in the same partition: only the newer is staged.
    base = conn.execute(
        "select to_jsonb(r) from raw.service_events r where partition_key = %s"
        " and event_type = 'pickup' limit 1",
        (last,),
    ).fetchone()[0]
    older = base | {"id": str(uuid.uuid4()), "weight_kg": "1.0"}
    newer = older | {"weight_kg": "2.0", "updated_at": last + " 23:00:00+00"}
    for row in (older, newer):
        conn.execute(
            "insert into raw.service_events select * from"
            " jsonb_populate_record(null::raw.service_events, %s)",
            (json.dumps(row),),
        )
    raw_rows = scalar(
        conn, "select count(*) from raw.service_events where partition_key = %s", (last,)
    )

    events_asset = [a for a in staging_assets if a.key.path == ["staging", "service_events"]]
    result = materialize(events_asset, last)
    assert result.success
    meta = result.asset_materializations_for_node("staging__service_events")[0].metadata
    assert meta["rows_in"].value == raw_rows
    assert meta["rows_rejected"].value == len(crafted)
    assert meta["rows_superseded"].value == 1
    assert meta["rows_staged"].value + meta["rows_rejected"].value + 1 == raw_rows

    got = {
        reason: raw_row
        for reason, raw_row in conn.execute(
            "select reason, raw_row from quality.rejected_rows where partition_key = %s", (last,)
        ).fetchall()
    }
    assert set(got) == set(crafted)
    assert got["unparseable weight_kg"]["weight_kg"] == "12,5 kg"  # the raw value is kept
    assert (
        scalar(conn, "select weight_kg from staging.service_events where id = %s", (newer["id"],))
        == 2.0
    )


def test_rerunning_partitions_is_idempotent(source, conn, materialize):
    first, last = extent(conn)
    assert materialize(ingest_assets, first, last).success
    before = {t.name: staging_fingerprint(conn, t.name) for t in SOURCE_TABLES}
    counts = {
        schema: scalar(conn, f"select count(*) from {schema}")
        for schema in ("raw.service_events", "staging.service_events", "quality.rejected_rows")
    }
    assert materialize(ingest_assets, first, last).success
    assert materialize(ingest_assets, last).success
    assert {t.name: staging_fingerprint(conn, t.name) for t in SOURCE_TABLES} == before
    assert {s: scalar(conn, f"select count(*) from {s}") for s in counts} == counts


def test_late_correction_arrives_with_the_day_it_was_made(source, conn, materialize):
    first, last = extent(conn)
    assert materialize(ingest_assets, first, last).success
    event_id, partition = conn.execute(
        "select id, partition_key from staging.service_events where event_type = 'pickup'"
        " and partition_key < %s order by partition_key, id limit 1",
        (last,),
    ).fetchone()
    conn.execute(
        "update ops.service_events set weight_kg = 999, updated_at = %s::date + interval '10 hours'"
        " where id = %s",
        (last, event_id),
    )
    assert materialize(ingest_assets, last).success
    assert (
        scalar(conn, "select weight_kg from staging.service_events where id = %s", (event_id,))
        == 999
    )
    versions = conn.execute(
        "select partition_key from raw.service_events where id = %s order by 1", (str(event_id),)
    ).fetchall()
    assert [v[0] for v in versions] == [partition, last]
    # Replaying the old partition never brings the stale version back.
    assert materialize(ingest_assets, partition).success
    assert (
        scalar(conn, "select weight_kg from staging.service_events where id = %s", (event_id,))
        == 999
    )


def test_source_can_be_a_separate_database(db_url, empty_db, conn, materialize):
    from platform_assets.resources import PostgresResource

    tables = write_source(empty_db, dirty_fraction=0.0)
    resource = PostgresResource(database_url=db_url, source_database_url=empty_db)
    with psycopg.connect(empty_db) as source_conn:
        first, last = extent(source_conn)
    assert materialize(ingest_assets, first, last, resource=resource).success
    assert conn.execute("select to_regclass('ops.customers')").fetchone()[0] is None
    for table in SOURCE_TABLES:
        assert (
            scalar(conn, f"select count(*) from staging.{table.name}")
            == tables[table.name].num_rows
        )


def test_rows_older_than_the_first_partition_land_in_it(source, conn, materialize):
    """The first partition is the initial load: nothing older is left behind."""
    customer_id = conn.execute("select id from ops.customers order by id limit 1").fetchone()[0]
    conn.execute(
        "update ops.customers set updated_at = '2019-03-01 12:00+00' where id = %s", (customer_id,)
    )
    customers = [a for a in raw_assets if a.key.path == ["raw", "customers"]]
    assert materialize(customers, "2025-01-01").success
    landed = conn.execute("select id, partition_key from raw.customers").fetchall()
    assert landed == [(str(customer_id), "2025-01-01")]
