"""Topic features: the fit, its labels, point-in-time counts, exact partition edges, and topic
versions that never rewrite a past row (a new k, a new embedding model)."""

import json
from datetime import date, timedelta

import pandas as pd
import psycopg
import pytest
from embedding_data import EMBEDDED, add_event, clone, embedded_template, materialize

from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.embeddings.scope import EMBEDDED_EVENT_TYPES, MAX_TOPICS
from platform_assets.embeddings.store import coverage, embed_range
from platform_assets.embeddings.topics import (
    TopicFitError,
    TopicSettings,
    current_fit,
    label_topics,
)
from platform_assets.features import registry
from platform_assets.features.customer_topics_daily import customer_topics_daily, materialize_topics
from platform_assets.features.views import CUSTOMER_TOPICS_DAILY, TOPIC_COLUMNS
from platform_assets.training.pit import joined_view
from platform_assets.training.versions import current_variant

VIEW = CUSTOMER_TOPICS_DAILY


@pytest.fixture(scope="module")
def history(server_url, template_db):
    return embedded_template(server_url, template_db)


@pytest.fixture(scope="module")
def model_version() -> str:
    return EmbeddingModel().model_version()


@pytest.fixture
def url(server_url, history):
    return clone(server_url, EMBEDDED)


@pytest.fixture
def conn(url):
    with psycopg.connect(url, autocommit=True) as connection:
        yield connection


def _rows(conn, first_day: str, last_day: str) -> pd.DataFrame:
    cursor = conn.execute(
        "select * from features.customer_topics_daily where feature_ts > %s::date"
        " and feature_ts <= %s::date + 1 order by customer_id, feature_ts",
        (first_day, last_day),
    )
    return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])


def test_the_asset_fits_labels_registers_and_passes_its_checks(url, conn, history):
    first, last = history
    result = materialize(url, [customer_topics_daily], first, last)
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 5 and all(e.passed for e in evaluations)
    topics = conn.execute("select topic_id, label, size from vectors.topics order by 1").fetchall()
    in_scope = conn.execute(
        "select count(*) from vectors.service_event_embeddings v join staging.service_events e"
        " on e.id = v.event_id where e.event_type in ('complaint', 'missed_pickup',"
        " 'overflow_report')"
    ).fetchone()[0]
    assert [t[0] for t in topics] == list(range(MAX_TOPICS))
    assert all(t[1] and t[1] != "(no words)" for t in topics)
    assert sum(t[2] for t in topics) == in_scope > 100
    # Topics are numbered by size among the notes the fit learnt from (largest first).
    in_window = [n for (n,) in conn.execute(
        "select count(*) from vectors.event_topics a join vectors.topic_fits f using (fit_id)"
        " join staging.service_events e on e.id = a.event_id"
        " where e.service_date >= f.fit_from and e.service_date < f.serves_from"
        " group by a.topic_id order by a.topic_id"
    )]
    assert in_window == sorted(in_window, reverse=True)
    registry = conn.execute(
        "select version, row_count from features.registry where view_name = %s", (VIEW.name,)
    ).fetchone()
    assert registry[1] == conn.execute(f"select count(*) from {VIEW.table}").fetchone()[0] > 0
    # The training join reads the view like any other (the fit in force): key, times, then the
    # 16 features; the fit id is the variant, not a feature.
    fit_id = current_variant(conn, VIEW)
    assert joined_view(conn, VIEW, fit_id).columns == (
        "feature_ts", "source_max_ts", *TOPIC_COLUMNS
    )

    again = materialize(url, [customer_topics_daily], last, last)
    meta = again.asset_materializations_for_node("features__customer_topics_daily")[0].metadata
    assert meta["new_fit"].value is False and meta["days_written"].value == f"{last}..{last}"
    assert meta["fit_id"].value == fit_id


def test_a_fit_learns_only_from_notes_before_the_days_it_serves(conn, history, model_version):
    first, last = history
    report = materialize_topics(conn, TopicSettings(fit_days=30), model_version, first, last)
    fit = report.plan.current
    first_note = conn.execute(
        "select min(service_date)::date from staging.service_events"
        " where event_type in ('complaint', 'missed_pickup', 'overflow_report')"
    ).fetchone()[0]
    assert fit.serves_from == max(date.fromisoformat(first), first_note + timedelta(days=30))
    assert fit.fit_from == fit.serves_from - timedelta(days=30)
    # No feature row before the first day served; every day from it on has rows.
    extent = conn.execute(
        f"select min(feature_ts)::date - 1, max(feature_ts)::date - 1 from {VIEW.table}"
    ).fetchone()
    assert extent == (fit.serves_from, date.fromisoformat(last))
    # The notes it learnt from: all before serves_from, as many as recorded.
    texts = conn.execute(
        "select fit_texts from vectors.topic_fits where fit_id = %s", (fit.fit_id,)
    ).fetchone()[0]
    window = conn.execute(
        "select count(*) from vectors.service_event_embeddings v join staging.service_events e"
        " on e.id = v.event_id where e.event_type in ('complaint', 'missed_pickup',"
        " 'overflow_report') and e.service_date >= %s and e.service_date < %s",
        (fit.fit_from, fit.serves_from),
    ).fetchone()[0]
    assert texts == report.plan.fit_texts == window > 8


def test_counts_follow_the_point_in_time_rule(conn, history, model_version):
    first, last = history
    materialize_topics(conn, TopicSettings(), model_version, first, last)
    events = pd.DataFrame(
        conn.execute(
            "select e.customer_id, e.service_date, t.topic_id from vectors.event_topics t"
            " join staging.service_events e on e.id = t.event_id where e.customer_id is not null"
        ).fetchall(),
        columns=["customer_id", "service_date", "topic_id"],
    )
    feature_ts = pd.Timestamp(date.fromisoformat(last) - timedelta(days=9), tz="UTC")
    rows = _rows(conn, (feature_ts - pd.Timedelta(days=1)).date().isoformat(),
                 (feature_ts - pd.Timedelta(days=1)).date().isoformat())
    assert len(rows) > 50 and (rows.feature_ts == feature_ts).all()
    checked = 0
    for row in rows.itertuples():
        mine = events[(events.customer_id == row.customer_id)
                      & (events.service_date < feature_ts)]  # never the day's end or later
        for topic in range(MAX_TOPICS):
            for days in (30, 90):
                since = feature_ts - pd.Timedelta(days=days)
                expected = int(((mine.topic_id == topic) & (mine.service_date >= since)).sum())
                assert getattr(row, f"topic_{topic}_{days}d") == expected
                checked += expected
    assert checked > 20  # the comparison saw real events, not only zeros
    assert (rows.source_max_ts <= rows.feature_ts).all()


def test_a_label_at_noon_never_sees_that_days_events(conn, history, model_version):
    first, last = history
    materialize_topics(conn, TopicSettings(), model_version, first, last)
    customer, service_date, topic = conn.execute(
        "select e.customer_id, e.service_date, t.topic_id from vectors.event_topics t"
        " join staging.service_events e on e.id = t.event_id where e.customer_id is not null"
        " and e.service_date::date > %s::date + 95 order by e.service_date limit 1",
        (first,),
    ).fetchone()
    column = f"topic_{topic}_30d"
    noon = service_date.replace(hour=12, minute=0, second=0, microsecond=0)
    at_noon = conn.execute(
        f"select {column}, feature_ts from {VIEW.table} where customer_id = %s"
        " and feature_ts <= %s order by feature_ts desc limit 1",
        (customer, noon),
    ).fetchone()
    next_day = conn.execute(
        f"select {column} from {VIEW.table} where customer_id = %s and feature_ts = %s::date + 1",
        (customer, service_date),
    ).fetchone()
    assert at_noon[1].date() == service_date.date()  # the row of the day before
    assert next_day[0] >= at_noon[0] + 1


def test_partition_edges_equal_the_whole_history(conn, history, model_version):
    first, last = history
    whole = materialize_topics(conn, TopicSettings(), model_version, first, last)
    expected = _rows(conn, first, last)
    conn.execute(f"truncate {VIEW.table}")
    day, scope = date.fromisoformat(first), {}
    while day.isoformat() <= last:  # then partition ranges of 9 days (the fit is reused)
        end = min(day + timedelta(days=8), date.fromisoformat(last))
        report = materialize_topics(
            conn, TopicSettings(), model_version, day.isoformat(), end.isoformat()
        )
        assert not report.plan.created
        scope = {k: scope.get(k, 0) + v for k, v in report.scope.items()}
        day = end + timedelta(days=1)
    got = _rows(conn, first, last)
    assert len(expected) > 1000
    pd.testing.assert_frame_equal(got, expected)
    # The scope counts are the range's events (not all history's): the ranges add up to the whole.
    assert scope == whole.scope and whole.scope["events"] > 0


def _fit_rows(conn, fit_id: str) -> str:
    """A fingerprint of every row of one fit."""
    return conn.execute(
        f"select count(*) || ':' || md5(coalesce(string_agg(t::text, ',' order by customer_id,"
        f" feature_ts), '')) from {VIEW.table} as t where fit_id = %s",
        (fit_id,),
    ).fetchone()[0]


def test_a_new_k_adds_a_topic_version_and_changes_no_row(conn, history, model_version):
    first, last = history
    old = materialize_topics(conn, TopicSettings(), model_version, first, last).plan.current
    before = _fit_rows(conn, old.fit_id)
    report = materialize_topics(conn, TopicSettings(k=5), model_version, last, last)
    new = report.plan.current
    assert report.plan.created and new.fit_id != old.fit_id
    assert (new.fit_from, new.serves_from) == (old.fit_from, old.serves_from)  # same window
    assert _fit_rows(conn, old.fit_id) == before  # the old version is untouched
    # The new version has its own rows for every day the old one served.
    written = report.current
    assert (written.first_day, written.last_day) == (old.serves_from.isoformat(), last)
    rows = pd.DataFrame(
        conn.execute(f"select * from {VIEW.table} where fit_id = %s", (new.fit_id,)).fetchall(),
        columns=[d.name for d in conn.execute(f"select * from {VIEW.table} limit 0").description],
    )
    assert len(rows) == int(before.split(":")[0])
    assert (rows[[f"topic_{t}_{d}d" for t in (5, 6, 7) for d in (30, 90)]] == 0).all().all()
    assert rows[[f"topic_{t}_90d" for t in range(5)]].to_numpy().sum() > 0
    assert conn.execute(
        "select count(*), min(k) from vectors.topics where fit_id = %s", (new.fit_id,)
    ).fetchone() == (5, 5)
    assert current_fit(conn) == new  # the version in force
    # Back to k=8: the same fit as before (same notes, seed and window), in force again, and
    # its rows are what they were.
    back = materialize_topics(conn, TopicSettings(), model_version, last, last).plan.current
    assert back == old and current_fit(conn) == old
    assert _fit_rows(conn, old.fit_id) == before


def test_a_new_embedding_model_fills_in_and_refits_only_when_complete(
    conn, history, model_version
):
    first, last = history
    old = materialize_topics(conn, TopicSettings(), model_version, first, last).plan.current
    before = _fit_rows(conn, old.fit_id)
    assignments = conn.execute("select count(*) from vectors.event_topics").fetchone()[0]
    # A production model trained on the old version keeps it live.
    version = registry.register(conn, VIEW, "code", None, variant=old.fit_id)
    conn.execute(
        "insert into ml.models (model_name, model_version, model_type, training_data_version,"
        " feature_set_version, artifact_path, artifact_sha256, artifact_size_bytes,"
        " deployment_status) values ('churn_risk', 1, 'test', 'd', %s, '/nowhere',"
        " repeat('0', 64), 1, 'production')",
        (json.dumps({VIEW.name: version}),),
    )
    upgraded = EmbeddingModel(version_override="upgraded-1")
    types = list(EMBEDDED_EVENT_TYPES)
    embed_range(conn, upgraded, last, last, types, coverage_batch=40)  # only part of the notes
    total, missing = coverage(conn, "upgraded-1", list(TopicSettings().event_types), last)
    assert 0 < missing < total
    waiting = materialize_topics(conn, TopicSettings(), "upgraded-1", last, last)
    assert not waiting.plan.created and waiting.plan.current == old
    assert waiting.plan.waiting_for == missing
    assert _fit_rows(conn, old.fit_id).split(":")[0] == before.split(":")[0]

    embed_range(conn, upgraded, first, last, types)  # the background fill completes
    assert coverage(conn, "upgraded-1", list(TopicSettings().event_types), last)[1] == 0
    both = conn.execute(
        "select count(distinct model_version) from vectors.service_event_embeddings"
    ).fetchone()[0]
    assert both == 2  # the old vectors stay beside the new ones
    report = materialize_topics(conn, TopicSettings(), "upgraded-1", last, last)
    new = report.plan.current
    assert report.plan.created and new.model_version == "upgraded-1" and new.fit_id != old.fit_id
    assert (new.fit_from, new.serves_from) == (old.fit_from, old.serves_from)
    # Not a single past row of the old version changed; its notes keep their topics.
    assert _fit_rows(conn, old.fit_id) == before
    assert conn.execute(
        "select count(*) from vectors.event_topics where fit_id = %s and model_version = %s",
        (old.fit_id, old.model_version),
    ).fetchone()[0] == assignments
    # The old version got centroids in the new space, so production goes on reading it.
    assert conn.execute(
        "select count(*) from vectors.topics where fit_id = %s and model_version = 'upgraded-1'",
        (old.fit_id,),
    ).fetchone()[0] == MAX_TOPICS
    assert [w.fit.fit_id for w in report.written] == [old.fit_id, new.fit_id]
    assert current_fit(conn) == new


def test_no_embeddings_fails_with_a_clear_message(conn, history, model_version):
    first, last = history
    conn.execute("delete from vectors.service_event_embeddings")
    with pytest.raises(TopicFitError, match="only 0 embedded .* k=8 needs at least k"):
        materialize_topics(conn, TopicSettings(), model_version, first, last)
    with pytest.raises(ValueError, match=r"k must be in \[2, 8\]"):
        TopicSettings(k=9)


def test_labels_name_what_sets_a_topic_apart():
    labels = label_topics(
        [
            ["The bins smell terrible", "a rotting smell around the bin", "bins smell of rot"],
            ["Customer billed twice", "the invoice is wrong and they were billed", "billing"],
            ["the lid is broken", "lid cracked on the bin", "broken lid hinge"],
        ],
        terms=2,
    )
    assert "smell" in labels[0] and "billed" in labels[1] and "lid" in labels[2]
    assert all(len(label.split(", ")) == 2 for label in labels)
    assert label_topics([["12 34", "the of"]]) == ["(no words)"]


def _assignments(conn) -> list[tuple]:
    return conn.execute(
        "select fit_id, event_id, topic_id, distance, model_version from vectors.event_topics"
        " order by fit_id, event_id"
    ).fetchall()


def test_a_night_assigns_only_its_partitions_events_and_agrees_with_a_full_pass(
    conn, history, model_version
):
    # The night of `last` after a full pass through the day before: a new note, an old event
    # re-typed out of the topic scope and an old event deleted, all landing in `last`, and one
    # old event changed behind the runs' back (in an old partition: no run could see it).
    first, last = history
    before = (date.fromisoformat(last) - timedelta(days=1)).isoformat()
    fit = materialize_topics(conn, TopicSettings(), model_version, first, before).plan.current
    old = [row[0] for row in conn.execute(
        "select a.event_id from vectors.event_topics as a join staging.service_events as e"
        " on e.id = a.event_id where e.partition_key < %s order by a.event_id limit 3", (before,))]
    new = add_event(conn, "overflowing bin, smells awful, third complaint this week",
                    day=last, partition_key=last)
    conn.execute("update staging.service_events set event_type = 'pickup', partition_key = %s"
                 " where id = %s", (last, old[0]))
    conn.execute("delete from staging.service_events where id = %s", (old[1],))
    conn.execute("insert into quality.deleted_rows (source_table, source_id, partition_key,"
                 " load_id, deleted_at) values ('service_events', %s, %s, 'test', now())",
                 (str(old[1]), last))
    conn.execute("update staging.service_events set event_type = 'pickup' where id = %s",
                 (old[2],))
    embed_range(conn, EmbeddingModel(), last, last, list(EMBEDDED_EVENT_TYPES))

    materialize_topics(conn, TopicSettings(), model_version, last, last)
    night = {row[1]: row for row in _assignments(conn) if row[0] == fit.fit_id}
    conn.execute("update vectors.topic_fits set assigned_verified_at = now() - interval '8 days'")
    materialize_topics(conn, TopicSettings(), model_version, last, last)
    weekly = {row[1]: row for row in _assignments(conn) if row[0] == fit.fit_id}

    assert new in night and old[0] not in night and old[1] not in night
    assert old[2] in night  # unseen until the weekly full pass
    assert old[2] not in weekly and set(weekly) == set(night) - {old[2]}
    assert all(weekly[event] == night[event] for event in weekly)
