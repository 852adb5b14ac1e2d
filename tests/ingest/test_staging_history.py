"""Staging history, deletes, re-runs that now reject, and accounting that can fail."""

from datetime import date

import pytest
from testkit import END_DATE, run_main

from platform_assets.ingest.assets import ingest_assets
from platform_assets.ingest.source import source_extent
from platform_assets.simulator import simulate
from platform_assets.simulator.load import simulation_params, write_ops

CUSTOMERS, DAYS, SEED = 80, 20, 3


@pytest.fixture
def ingested(conn, materialize):
    end = date.fromisoformat(END_DATE)
    write_ops(conn, simulate(CUSTOMERS, DAYS, SEED, end, dirty_fraction=0.0),
              simulation_params(CUSTOMERS, DAYS, SEED, end))
    first, last = source_extent(conn)
    assert materialize(ingest_assets, first, last).success
    return first, last


def one(conn, query: str, params=()):
    return conn.execute(query, params).fetchone()


def staging(name: str):
    return [a for a in ingest_assets if a.key.path == ["staging", name]]


def both(name: str):
    return [a for a in ingest_assets if a.key.path[-1] == name]


def test_history_keeps_every_version_with_contiguous_valid_times(ingested, conn, materialize):
    first, last = ingested
    customer, tier = one(conn, "select id, service_tier from staging.customers"
                               " where status = 'active' order by id limit 1")
    new_tier = "basic" if tier != "basic" else "premium"
    conn.execute("update ops.customers set service_tier = %s, updated_at = %s::date + "
                 "interval '30 hours' where id = %s", (new_tier, last, customer))
    day_after = one(conn, "select (%s::date + 1)::text", (last,))[0]
    assert materialize(both("customers"), day_after).success

    versions = conn.execute(
        "select service_tier, valid_from, valid_to, created_at, updated_at"
        " from staging.customers_history where id = %s order by updated_at", (customer,)
    ).fetchall()
    assert [v[0] for v in versions] == [tier, new_tier]
    assert versions[0][1] == versions[0][3]  # the first version stands for its past
    assert versions[0][2] == versions[1][1] == versions[1][4]
    assert versions[1][2] is None
    assert one(conn, "select service_tier from staging.customers where id = %s",
               (customer,))[0] == new_tier
    # Never two versions valid at once, for any id.
    overlaps = one(conn, """
        select count(*) from staging.customers_history a join staging.customers_history b
          on a.id = b.id and a.updated_at < b.updated_at
         and (a.valid_to is null or a.valid_to > b.valid_from)""")[0]
    assert overlaps == 0


def test_a_rerun_that_now_rejects_a_version_removes_its_staged_copy(ingested, conn, materialize):
    event, partition = one(conn, "select id, partition_key from staging.service_events"
                                 " where event_type = 'pickup' order by id limit 1")
    customer, c_partition = one(conn, "select id, partition_key from staging.customers"
                                      " order by id limit 1")
    # Edited in place without a new updated_at: the same version, now broken.
    conn.execute("update ops.service_events set weight_kg = -5 where id = %s", (event,))
    conn.execute("update ops.customers set service_tier = 'gold' where id = %s", (customer,))
    assert materialize(ingest_assets, partition).success
    assert materialize(ingest_assets, c_partition).success

    assert one(conn, "select count(*) from staging.service_events where id = %s", (event,))[0] == 0
    assert one(conn, "select count(*) from staging.customers where id = %s", (customer,))[0] == 0
    assert one(conn, "select count(*) from staging.customers_history where id = %s",
               (customer,))[0] == 0
    reasons = {r[0] for r in conn.execute(
        "select reason from quality.rejected_rows where source_id in (%s, %s)",
        (str(event), str(customer)))}
    assert reasons == {"negative weight_kg", "unknown service_tier"}
    counts = one(conn, "select rows_in, rows_staged, rows_rejected from quality.ingest_counts"
                       " where source_table = 'service_events' and partition_key = %s",
                 (partition,))
    assert counts[0] == counts[1] + counts[2] and counts[2] == 1


def test_a_lost_write_breaks_the_identity_and_fails_the_run(ingested, conn, materialize):
    """Counts come from what was written: a row that silently vanishes is caught."""
    first, last = ingested
    victim = one(conn, "select id from staging.service_events where partition_key = %s"
                       " order by id limit 1", (last,))[0]
    conn.execute(f"""
        create function public.drop_one() returns trigger language plpgsql as $$
        begin
            if new.id = '{victim}' then return null; end if;
            return new;
        end $$;
        create trigger drop_one before insert or update on staging.service_events
            for each row execute function public.drop_one();
        delete from staging.service_events where id = '{victim}';
    """)
    before = conn.execute("select * from quality.ingest_counts order by 1, 2").fetchall()
    result = materialize(staging("service_events"), last, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.event_specific_data.error.cause.message
    assert "rows in but" in message and "lost or written twice" in message
    # Nothing of the failed run was committed: the previous accounting stands.
    assert conn.execute("select * from quality.ingest_counts order by 1, 2").fetchall() == before


def test_reconcile_lands_backdated_changes_and_deletes_the_window_cannot_see(
    ingested, conn, db_url, monkeypatch, capsys
):
    first, last = ingested
    old_day = one(conn, "select partition_key from staging.service_events where event_type ="
                        " 'pickup' and partition_key > %s group by 1 order by 1 offset 2 limit 1",
                  (first,))[0]
    corrected, deleted = [r[0] for r in conn.execute(
        "select id from staging.service_events where event_type = 'pickup'"
        " and partition_key = %s order by id limit 2", (old_day,))]
    # Backdated: the app rewrote the row but kept an old updated_at (one second later).
    conn.execute("update ops.service_events set weight_kg = 777,"
                 " updated_at = updated_at + interval '1 second' where id = %s", (corrected,))
    conn.execute("delete from ops.service_events where id = %s", (deleted,))

    monkeypatch.setenv("DATABASE_URL", db_url)
    code, out, err = run_main(capsys, "reconcile", "--table", "service_events")
    assert code == 0, err
    assert "service_events  landed      1 missed rows,      1 deletes" in out
    assert one(conn, "select weight_kg from staging.service_events where id = %s",
               (corrected,))[0] == 777
    assert one(conn, "select count(*) from staging.service_events where id = %s",
               (deleted,))[0] == 0
    assert one(conn, "select count(*) from quality.deleted_rows where source_id = %s",
               (str(deleted),))[0] == 1
    # The correction's valid day is noted, so the feature views recompute from it.
    noted = one(conn, "select min(day)::text from staging.late_changes"
                      " where source_table = 'service_events'")[0]
    assert noted <= old_day
    # A second reconcile finds nothing new, and the identity holds everywhere.
    code, out, _ = run_main(capsys, "reconcile", "--table", "service_events")
    assert code == 0 and "landed      1 missed rows,      0 deletes" in out
    assert one(conn, "select count(*) from quality.ingest_counts"
                     " where rows_in <> rows_staged + rows_rejected + rows_superseded")[0] == 0


def test_reconcile_rejects_an_unknown_table(capsys, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    code, _, err = run_main(capsys, "reconcile", "--table", "users; drop table x")
    assert code == 1 and "unknown table" in err


def test_source_rows_without_updated_at_are_quarantined(ingested, conn, materialize):
    first, last = ingested
    event = one(conn, "select id from staging.service_events order by id limit 1")[0]
    conn.execute("update ops.service_events set updated_at = null where id = %s", (event,))
    assert materialize(both("service_events"), last).success
    reason = one(conn, "select reason, partition_key from quality.rejected_rows"
                       " where source_id = %s", (str(event),))
    assert reason == ("missing updated_at", last)
    # Seen once, not landed again every night.
    assert materialize(both("service_events"), last).success
    assert one(conn, "select count(*) from quality.rejected_rows where source_id = %s",
               (str(event),))[0] == 1
