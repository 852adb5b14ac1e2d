"""The embedding asset against a real Postgres and the real model: incremental by content."""

import uuid

import numpy as np
import psycopg
import pytest
from embedding_data import (
    EMBEDDED,
    STAGED,
    TRICKY_TEXT,
    add_event,
    clone,
    embedded_template,
    event_counts,
    materialize,
    projected_model,
    staged_template,
)
from psycopg import sql

from platform_assets.embeddings.assets import embedding_assets
from platform_assets.embeddings.model import DimensionMismatch, EmbeddingModel
from platform_assets.embeddings.scope import EMBEDDED_EVENT_TYPES
from platform_assets.embeddings.store import embed_range
from platform_assets.embeddings.vector_copy import (
    decode_rows,
    encode_rows,
    read_vectors,
    write_vectors,
)


@pytest.fixture
def db(server_url, template_db):
    """A database with the history in staging, nothing embedded yet."""
    first, last = staged_template(server_url, template_db)
    return clone(server_url, STAGED), first, last


@pytest.fixture
def embedded(server_url, template_db):
    """A database with the history in staging and every note embedded."""
    first, last = embedded_template(server_url, template_db)
    return clone(server_url, EMBEDDED), first, last


@pytest.fixture(scope="module")
def model_128d(tmp_path_factory):
    return EmbeddingModel(model=str(projected_model(tmp_path_factory.mktemp("model"), 128)))


def _in_scope(conn) -> int:
    return conn.execute(
        "select count(*) from staging.service_events where event_type = any(%s)",
        (list(EMBEDDED_EVENT_TYPES),),
    ).fetchone()[0]


def _embedded_at(conn) -> dict:
    return dict(conn.execute("select event_id, embedded_at from vectors.service_event_embeddings"))


def test_first_run_embeds_every_non_pickup_note_then_nothing(db):
    url, first, last = db
    result = materialize(url, embedding_assets, first, last)
    assert result.success
    meta = event_counts(result)
    with psycopg.connect(url, autocommit=True) as conn:
        in_scope = _in_scope(conn)
        stored = conn.execute(
            "select count(*), count(distinct model_version),"
            " bool_and(checksum = md5(e.description)),"
            " count(*) filter (where e.event_type = 'pickup')"
            " from vectors.service_event_embeddings v"
            " join staging.service_events e on e.id = v.event_id"
        ).fetchone()
        metadata_rows = conn.execute(
            "select count(*), min(dimensions), max(dimensions) from vectors.metadata"
            " where entity_type = 'service_event'"
        ).fetchone()
        index = conn.execute(
            "select reloptions from pg_class where relname = 'service_event_embeddings_hnsw'"
        ).fetchone()
        before = _embedded_at(conn)
    assert 200 < in_scope == meta["candidates"] == meta["embedded"] == stored[0]
    assert stored[1:] == (1, True, 0)  # one model version, checksums match, no pickups
    assert metadata_rows == (stored[0], 384, 384)
    assert sorted(index[0]) == ["ef_construction=64", "m=16"]
    assert meta["index_created"] is True and meta["texts_per_s"] > 0

    again = materialize(url, embedding_assets, first, last)
    meta = event_counts(again)
    assert (meta["embedded"], meta["skipped_unchanged"]) == (0, in_scope)
    assert meta["index_created"] is False
    with psycopg.connect(url, autocommit=True) as conn:
        assert _embedded_at(conn) == before  # nothing rewritten


def test_changed_text_re_embeds_only_that_event(embedded):
    url, first, last = embedded
    with psycopg.connect(url, autocommit=True) as conn:
        event_id, old_checksum, partition = conn.execute(
            "select event_id, checksum, partition_key from vectors.service_event_embeddings"
            " order by event_id limit 1"
        ).fetchone()
        before = _embedded_at(conn)
        conn.execute(
            "update staging.service_events set description = 'The lid hinge snapped off.'"
            " where id = %s",
            (event_id,),
        )
    result = materialize(url, embedding_assets, first, last)
    meta = event_counts(result)
    assert (meta["embedded"], meta["skipped_unchanged"]) == (1, meta["candidates"] - 1)
    with psycopg.connect(url, autocommit=True) as conn:
        after = _embedded_at(conn)
        checksum = conn.execute(
            "select checksum from vectors.service_event_embeddings where event_id = %s",
            (event_id,),
        ).fetchone()[0]
    assert checksum != old_checksum
    assert [e for e in after if after[e] != before[e]] == [event_id]
    # Only its partition holds work: running just that day re-embeds nothing more.
    meta = event_counts(materialize(url, embedding_assets, partition, partition))
    assert meta["embedded"] == 0


@pytest.mark.parametrize(
    "model",
    [EmbeddingModel(normalize=False), EmbeddingModel(version_override="pinned-2")],
    ids=["normalisation", "model_version"],
)
def test_a_new_model_version_re_embeds_every_note(embedded, model):
    url, first, last = embedded
    meta = event_counts(materialize(url, embedding_assets, first, last, model=model))
    assert meta["embedded"] == meta["candidates"] > 200
    assert meta["skipped_unchanged"] == 0
    with psycopg.connect(url, autocommit=True) as conn:
        versions = conn.execute(
            "select model_version, count(*) from vectors.service_event_embeddings group by 1"
        ).fetchall()
        norms = conn.execute(
            "select min(vector_norm(embedding)), max(vector_norm(embedding))"
            " from vectors.service_event_embeddings where model_version = %s",
            (model.model_version(),),
        ).fetchone()
        meta_versions = conn.execute(
            "select distinct model_version from vectors.metadata"
        ).fetchall()
    # The new version's vectors sit beside the old ones (the topic fits may still read those),
    # one per event each; the catalogue describes the newest.
    by_version = dict(versions)
    assert len(by_version) == 2 and by_version[model.model_version()] == meta["embedded"]
    assert len(set(by_version.values())) == 1
    assert meta_versions == [(model.model_version(),)]
    if not model.normalize:
        assert norms[0] > 1.5  # raw MiniLM vectors are far from unit length
    else:
        assert norms == pytest.approx((1.0, 1.0), abs=1e-4)


def test_bad_texts_are_skipped_or_truncated_and_counted(embedded):
    url, first, last = embedded
    day = last
    with psycopg.connect(url, autocommit=True) as conn:
        null_id = add_event(conn, None, day=day)
        add_event(conn, "", day=day)
        add_event(conn, " \t\n  ", day=day)
        long_id = add_event(conn, "The bin smells awful. " * 4600, day=day)  # ~100 kB
        tricky_id = add_event(conn, TRICKY_TEXT, day=day)
    meta = event_counts(materialize(url, embedding_assets, first, last))
    assert meta["skipped_text"] == 3 and meta["truncated"] == 1
    assert meta["candidates"] == meta["embedded"] + meta["skipped_unchanged"] + 3
    with psycopg.connect(url, autocommit=True) as conn:
        reasons = dict(
            conn.execute("select reason, count(*) from vectors.skipped_texts group by 1")
        )
        stored = {
            row[0]: row[1]
            for row in conn.execute(
                "select v.event_id, v.checksum = md5(e.description) from"
                " vectors.service_event_embeddings v join staging.service_events e"
                " on e.id = v.event_id where v.event_id = any(%s)",
                ([null_id, long_id, tricky_id],),
            )
        }
        assert conn.execute("select to_regclass('vectors.service_event_embeddings')").fetchone()[0]
        # A text emptied later loses its vector (it must stop answering searches).
        conn.execute("update staging.service_events set description = '' where id = %s", (long_id,))
    assert reasons == {"null_text": 1, "empty_text": 1, "whitespace_text": 1}
    assert stored == {long_id: True, tricky_id: True}

    meta = event_counts(materialize(url, embedding_assets, day, day))
    assert meta["embedded"] == 0 and meta["skipped_text"] == 4
    with psycopg.connect(url, autocommit=True) as conn:
        gone = conn.execute(
            "select"
            " (select count(*) from vectors.service_event_embeddings where event_id = %(id)s),"
            " (select count(*) from vectors.metadata where entity_id = %(id)s),"
            " (select reason from vectors.skipped_texts where event_id = %(id)s)",
            {"id": long_id},
        ).fetchone()
    assert gone == (0, 0, "empty_text")


def test_a_model_of_another_dimension_is_refused_before_any_write(db, model_128d):
    url, first, last = db
    with psycopg.connect(url, autocommit=True) as conn:
        with pytest.raises(DimensionMismatch, match=r"128 dimensions.*vector\(384\)"):
            embed_range(conn, model_128d, first, last, list(EMBEDDED_EVENT_TYPES))
        stored = conn.execute("select count(*) from vectors.service_event_embeddings").fetchone()
        assert stored == (0,)
    assert not materialize(url, embedding_assets, first, last, model=model_128d).success


def test_binary_copy_round_trips_vectors(db):
    """The hand-built COPY stream against Postgres' own reading and writing of it."""
    url, *_ = db
    ids = [uuid.uuid4() for _ in range(3)]
    vectors = np.random.default_rng(0).standard_normal((3, 384)).astype(np.float32)
    back_ids, back = decode_rows(encode_rows(ids, vectors), 384)
    assert back_ids == ids and np.array_equal(back, vectors)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create temp table v (id uuid, e vector(384))")
        assert write_vectors(conn, sql.Identifier("v"), ("id", "e"), ids, vectors) == 3
        got_ids, got = read_vectors(conn, sql.SQL("select id, e from v order by id"), {}, 384)
    order = np.argsort([str(i) for i in ids])
    assert got_ids == [ids[i] for i in order] and np.array_equal(got, vectors[order])


class _CorrectedMidRun(EmbeddingModel):
    """The real model; after each encode a correction of one event lands from another
    connection, as when a second run reads the newer text while this one is still encoding."""

    url: str = ""
    event_id: str = ""
    correction: str = ""

    def encode(self, texts):
        encoded = super().encode(texts)
        with psycopg.connect(self.url, autocommit=True) as other:
            other.execute(
                "update staging.service_events set description = %s where id = %s",
                (self.correction, self.event_id),
            )
        return encoded


def test_a_text_changed_while_encoding_is_not_written_stale(embedded):
    url, first, last = embedded
    with psycopg.connect(url, autocommit=True) as conn:
        event_id, original = conn.execute(
            "select event_id, checksum from vectors.service_event_embeddings"
            " order by event_id limit 1"
        ).fetchone()
        conn.execute(
            "update staging.service_events set description = 'The bin was not emptied.'"
            " where id = %s",
            (event_id,),
        )
        model = _CorrectedMidRun(url=url, event_id=str(event_id),
                                 correction="The lid is cracked and smells.")
        report = embed_range(conn, model, first, last, list(EMBEDDED_EVENT_TYPES))
        assert (report.embedded, report.stale) == (1, 1)
        stored = conn.execute(
            "select checksum from vectors.service_event_embeddings where event_id = %s",
            (event_id,),
        ).fetchone()[0]
        assert stored == original  # not the vector of the text that was gone before the write

        again = embed_range(conn, EmbeddingModel(), first, last, list(EMBEDDED_EVENT_TYPES))
        assert (again.embedded, again.stale) == (1, 0)
        stored, current = conn.execute(
            "select v.checksum, md5(e.description) from vectors.service_event_embeddings v"
            " join staging.service_events e on e.id = v.event_id where v.event_id = %s",
            (event_id,),
        ).fetchone()
        assert stored == current


def test_a_covered_version_counts_only_its_range_until_the_weekly_full_count(embedded):
    # Once every note up to a partition has a vector, a run counts only its own partitions. A gap
    # no run could see (a vector deleted by hand) waits for the weekly count over all history,
    # which finds it, and the coverage batch fills it in.
    url, first, last = embedded
    with psycopg.connect(url, autocommit=True) as conn:
        [(through,)] = conn.execute("select complete_through from vectors.coverage").fetchall()
        gone = conn.execute(
            "delete from vectors.service_event_embeddings where event_id = ("
            " select event_id from vectors.service_event_embeddings where partition_key < %s"
            " order by event_id limit 1) returning event_id", (last,),
        ).fetchone()[0]
    assert through == last

    trusted = event_counts(materialize(url, embedding_assets, last, last))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("update vectors.coverage set verified_at = now() - interval '8 days'")
    counted = event_counts(materialize(url, embedding_assets, last, last))

    assert trusted["coverage_counted_over"] == "range"
    assert (trusted["embedded"], trusted["coverage_missing"]) == (0, 0)
    assert counted["coverage_counted_over"] == "all history"
    assert (counted["embedded"], counted["coverage_missing"]) == (1, 0)
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("select count(*) from vectors.service_event_embeddings"
                            " where event_id = %s", (gone,)).fetchone()[0] == 1
        assert conn.execute("select verified_at > now() - interval '1 hour', complete_through"
                            " from vectors.coverage").fetchone() == (True, last)


def test_a_note_left_without_a_vector_forgets_the_coverage(embedded):
    # The weekly count finds a note of an old partition without a vector and, with no coverage
    # batch to fill it in, the record is forgotten: the next run counts over all history again.
    url, first, last = embedded
    with psycopg.connect(url, autocommit=True) as conn:
        add_event(conn, "bin lid broken again", day=first, partition_key=first)
        conn.execute("update vectors.coverage set verified_at = now() - interval '8 days'")
    no_batch = {"embeddings__service_event_embeddings": {"config": {"coverage_batch": 0}}}

    found = event_counts(materialize(url, embedding_assets, last, last, config=no_batch))
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("select count(*) from vectors.coverage").fetchone()[0]
    again = event_counts(materialize(url, embedding_assets, last, last, config=no_batch))

    assert (found["coverage_counted_over"], found["coverage_missing"]) == ("all history", 1)
    assert rows == 0
    assert (again["coverage_counted_over"], again["coverage_missing"]) == ("all history", 1)
