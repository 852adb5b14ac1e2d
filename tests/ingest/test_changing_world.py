"""A changing world: simulate and backfill, then one day of change in `ops` and the nightly run.

The day of change (2026-07-01) holds what a real operator's database does and an append-only
simulator never did: a tier downgrade, a hard-deleted event, a bin removed, a parent created late
(its events arrived days before it and were quarantined), and a correction of an event older than
the nightly lookback. The nightly run is the one the schedule asks for (yesterday and the
lookback), over the ingest and feature assets. Feature rows for days before each change must be
byte-identical to before it; after it they reflect it, from its valid time on.
"""

import json
import uuid
from datetime import UTC, date, datetime

import dagster as dg
import pytest
from testkit import partition_range

from platform_assets.definitions import defs
from platform_assets.features.assets import feature_assets
from platform_assets.ingest.assets import ingest_assets
from platform_assets.ingest.source import source_extent
from platform_assets.resources import ArtifactStore
from platform_assets.simulator import simulate
from platform_assets.simulator.load import simulation_params, write_ops
from platform_assets.training.dataset import Window, build_dataset
from platform_assets.training.tasks import TASKS_BY_NAME

pytestmark = pytest.mark.slow

CUSTOMERS, DAYS, SEED = 200, 45, 5
END = date(2026, 6, 30)
CHANGE_DAY = "2026-07-01"
NIGHTLY_AT = datetime(2026, 7, 2, 2, 0, tzinfo=UTC)  # rebuilds 06-29..07-01 (lookback 3)
DATA_ASSETS = [*ingest_assets, *feature_assets]
VIEW_KEYS = {"customer_daily": "customer_id", "bin_daily": "bin_id", "vehicle_daily": "vehicle_id"}


def feature_rows(conn) -> dict[tuple[str, str, str], str]:
    """Every feature row as text, keyed by (view, entity, feature_ts)."""
    found = {}
    for view, key in VIEW_KEYS.items():
        for entity, ts, text in conn.execute(
            f"select {key}::text, feature_ts::text, to_jsonb(v)::text from features.{view} v"
        ):
            found[(view, entity, ts)] = text
    return found


def one(conn, query: str, params=()):
    return conn.execute(query, params).fetchone()


def nightly_range() -> tuple[str, str]:
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    context = dg.build_schedule_context(scheduled_execution_time=NIGHTLY_AT)
    return partition_range(schedule.evaluate_tick(context).run_requests[0].tags)


def demand_labels(conn, store) -> dict[tuple[str, str], float]:
    task = TASKS_BY_NAME["demand_forecast"]
    build_dataset(conn, task, Window(date(2026, 6, 2), date(2026, 6, 23)), "test", store,
                  purge=False)
    return {
        (str(b), ts.isoformat()): label
        for b, ts, label in conn.execute(
            "select bin_id, label_ts, label from training.demand_forecast"
        )
    }


@pytest.fixture
def world(conn, materialize, tmp_path):
    """The simulated history with a late parent's events already in ops, backfilled."""
    tables = simulate(CUSTOMERS, DAYS, SEED, END, dirty_fraction=0.0)
    write_ops(conn, tables, simulation_params(CUSTOMERS, DAYS, SEED, END))
    late = {"customer": uuid.uuid4(), "bin": uuid.uuid4()}
    template = one(
        conn,
        "select id, organization_id from ops.service_events where event_type = 'pickup'"
        " and service_date >= '2026-06-20' order by service_date, id limit 1",
    )
    conn.execute(
        "insert into ops.service_events select gen_random_uuid(), organization_id, %s, %s,"
        " route_id, vehicle_id, event_type, '2026-06-20 09:00+00'::timestamptz + n * interval '1h',"
        " fill_level_pct, weight_kg, description, status, '2026-06-20 15:00+00',"
        " '2026-06-20 15:00+00' from ops.service_events, generate_series(0, 2) as n where id = %s",
        (late["customer"], late["bin"], template[0]),
    )
    result = materialize(DATA_ASSETS, source_extent(conn)[0], END.isoformat())
    assert result.success
    store = ArtifactStore(root=str(tmp_path / "artifacts"))
    return late, template[1], store


def test_a_day_of_change_lands_from_its_valid_time_on(world, conn, materialize):
    late, org, store = world
    rejected = one(
        conn,
        "select count(*) from quality.rejected_rows where reason = 'unknown customer_id'"
        " and raw_row ->> 'customer_id' = %s",
        (str(late["customer"]),),
    )[0]
    assert rejected == 3  # the children arrived before their parent
    # Routes closed after midnight (the simulator plants them) pass vehicle_daily's checks.
    closed_late = one(conn, "select count(*) from staging.routes"
                            " where updated_at >= (route_date + 1)::timestamp at time zone 'UTC'")
    assert closed_late[0] > 0
    vehicle_checks = conn.execute(
        "select check_name, bool_and(passed) from quality.check_results"
        " where asset_key = 'features/vehicle_daily' and severity = 'error' group by 1"
    ).fetchall()
    assert ("no_future_source", True) in vehicle_checks
    assert all(passed for _, passed in vehicle_checks), vehicle_checks
    before = feature_rows(conn)
    labels_before = demand_labels(conn, store)

    # --- the day of change, in ops -------------------------------------------------------------
    downgraded = one(
        conn,
        "select c.id from ops.customers c join staging.customers s using (id)"
        " where c.service_tier = 'premium' and c.status = 'active' order by c.id limit 1",
    )[0]
    conn.execute(
        "update ops.customers set service_tier = 'basic', updated_at = '2026-07-01 10:00+00'"
        " where id = %s",
        (downgraded,),
    )
    # A pickup in a demand label's horizon, inside the nightly window: deleted in the source.
    deleted, deleted_bin, deleted_customer, deleted_kg, deleted_vehicle = one(
        conn,
        "select id, bin_id, customer_id, weight_kg, vehicle_id from staging.service_events"
        " where event_type = 'pickup' and service_date between '2026-06-29' and"
        " '2026-06-30 12:00+00' and customer_id <> %s order by id limit 1",
        (downgraded,),
    )
    conn.execute("delete from ops.service_events where id = %s", (deleted,))
    removed_bin, removed_bins_customer = one(
        conn,
        "select b.id, b.customer_id from ops.bins b join staging.bins s using (id)"
        " where b.status = 'active' and b.customer_id not in (%s, %s) and b.id <> %s"
        " order by b.id limit 1",
        (downgraded, deleted_customer, deleted_bin),
    )
    conn.execute(
        "update ops.bins set status = 'removed', updated_at = '2026-07-01 11:00+00' where id = %s",
        (removed_bin,),
    )
    conn.execute(
        "insert into ops.customers select %s, %s, 'Late Parent', 'late@example.org', '1 Late St',"
        " 'standard', 'active', null, 51.5, -0.1, '2026-06-18 09:00+00', '2026-07-01 09:00+00'",
        (late["customer"], org),
    )
    conn.execute(
        "insert into ops.bins select %s, %s, %s, 'general', 240, 51.5, -0.1,"
        " '2026-06-18 10:00+00', 'active', '2026-06-18 10:00+00', '2026-07-01 09:05+00'",
        (late["bin"], late["customer"], org),
    )
    # A correction of a pickup weighed on 06-10, far beyond the lookback, made today.
    corrected, corrected_bin = one(
        conn,
        "select id, bin_id from ops.service_events where event_type = 'pickup'"
        " and service_date::date = '2026-06-10' and bin_id not in (%s, %s) order by id limit 1",
        (deleted_bin, removed_bin),
    )
    conn.execute(
        "update ops.service_events set weight_kg = weight_kg + 100,"
        " updated_at = '2026-07-01 12:00+00' where id = %s",
        (corrected,),
    )

    # --- the nightly run the schedule asks for --------------------------------------------------
    first, last = nightly_range()
    assert (first, last) == ("2026-06-29", CHANGE_DAY)
    result = materialize(DATA_ASSETS, first, last)
    assert result.success
    after = feature_rows(conn)

    # Staging: the deleted event is gone (with evidence), the tier has two versions.
    gone = one(conn, "select count(*) from staging.service_events where id = %s", (deleted,))
    assert gone[0] == 0
    assert one(
        conn, "select count(*) from quality.deleted_rows where source_id = %s", (str(deleted),)
    )[0] == 1
    versions = conn.execute(
        "select service_tier, valid_from, valid_to from staging.customers_history where id = %s"
        " order by valid_from",
        (downgraded,),
    ).fetchall()
    assert [v[0] for v in versions] == ["premium", "basic"]
    assert versions[0][2] == versions[1][1] == datetime(2026, 7, 1, 10, tzinfo=UTC)

    # The late parent: staged, its children staged and their rejections resolved, not deleted.
    assert one(conn, "select count(*) from staging.customers where id = %s",
               (late["customer"],))[0] == 1
    assert one(conn, "select count(*) from staging.service_events where customer_id = %s",
               (late["customer"],))[0] == 3
    resolved = conn.execute(
        "select resolved_load_id from quality.rejected_rows where raw_row ->> 'customer_id' = %s",
        (str(late["customer"]),),
    ).fetchall()
    assert resolved == [(result.run_id,)] * 3
    assert one(conn, "select rows_resolved from quality.ingest_counts where source_table ="
               " 'service_events' and partition_key = '2026-06-20'")[0] == 3

    # Every ingest identity holds, and every landed row has exactly one outcome.
    broken = one(conn, "select count(*) from quality.ingest_counts"
                 " where rows_in <> rows_staged + rows_rejected + rows_superseded")[0]
    assert broken == 0
    assert one(conn, "select sum(rows_deleted) from quality.ingest_counts where source_table ="
               " 'service_events'")[0] == 1

    # Features: before each change byte-identical, after it reflecting it.
    changed = {k for k in before if after.get(k) != before[k]}
    by_entity: dict[str, set[str]] = {}
    for _view, entity, ts in changed:
        by_entity.setdefault(entity, set()).add(ts)
    touched_events = conn.execute(
        "select customer_id, bin_id, vehicle_id from staging.service_events"
        " where id = %s or customer_id = %s",
        (corrected, late["customer"]),
    ).fetchall()
    expected = {str(deleted_customer), str(deleted_bin), str(deleted_vehicle)}
    expected |= {str(x) for event in touched_events for x in event if x is not None}
    assert set(by_entity) <= expected, set(by_entity) - expected
    # The deleted pickup: rows from its day on changed, rows before it did not.
    assert min(by_entity[str(deleted_bin)]) >= "2026-06-30"  # feature_ts of 06-29 = 06-30 00:00
    # The correction of 06-10: rows from 06-10 on reflect it (within the bin's 28-day windows).
    assert min(by_entity[str(corrected_bin)]) == "2026-06-11 00:00:00+00"
    key = ("bin_daily", str(corrected_bin), "2026-06-20 00:00:00+00")
    assert json.loads(after[key])["kg_collected_28d"] == pytest.approx(
        json.loads(before[key])["kg_collected_28d"] + 100
    )

    # The downgrade and the removed bin: days before the change untouched, the new day shows it.
    def row(view, entity, day):
        return conn.execute(
            f"select * from features.{view} where {VIEW_KEYS[view]} = %s"
            " and feature_ts = (%s::date + 1)::timestamp at time zone 'UTC'",
            (entity, day),
        ).fetchone()

    tier = conn.execute(
        "select feature_ts::date - 1, service_tier from features.customer_daily"
        " where customer_id = %s and feature_ts > '2026-06-29' order by 1",
        (downgraded,),
    ).fetchall()
    assert [t for _, t in tier] == ["premium", "premium", "basic"]  # 06-29, 06-30, 07-01
    assert row("bin_daily", removed_bin, "2026-06-30") is not None
    assert row("bin_daily", removed_bin, CHANGE_DAY) is None
    bins = conn.execute(
        "select active_bins from features.customer_daily where customer_id = %s"
        " and feature_ts > '2026-06-29' order by feature_ts",
        (removed_bins_customer,),
    ).fetchall()
    assert [b[0] for b in bins[1:]] == [bins[0][0], bins[0][0] - 1]  # 06-29, 06-30, 07-01
    # The late parent has rows from its creation on (valid time), not only in the lookback.
    days = conn.execute(
        "select min(feature_ts)::date - 1, max(feature_ts)::date - 1, max(pickups_7d)"
        " from features.customer_daily where customer_id = %s",
        (late["customer"],),
    ).fetchone()
    assert (days[0].isoformat(), days[1].isoformat(), days[2]) == ("2026-06-18", CHANGE_DAY, 3)

    # The next dataset no longer counts the deleted pickup in its bin's demand label.
    labels_after = demand_labels(conn, store)
    lost = {k: labels_before[k] - labels_after.get(k, 0) for k in labels_before
            if k[0] == str(deleted_bin) and labels_before[k] != labels_after.get(k)}
    assert list(lost.values()) == [pytest.approx(deleted_kg)]
