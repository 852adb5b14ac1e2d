"""Topics of complaint-like notes as customer features.

k-means (scikit-learn, fixed seed) clusters the embeddings of complaints, missed pickups and
overflow reports; each cluster is labelled with its most typical phrases (class-based TF-IDF of
the notes nearest its centroid, stop words removed). Every embedded event of those types gets its
nearest centroid in `vectors.event_topics`, and `features.customer_topics_daily` counts each
customer's events per topic over 30/90 days.

Topics never rewrite the past. A fit is a topic model version (`vectors.topic_fits`) with a fixed
fit window: the notes of the `fit_days` before `serves_from`, the first feature day it serves, so
no row counts topics of a fit that saw later notes. Refitting every night would renumber the
topics (`topic_3_30d` meaning one thing yesterday and another today); instead a fit stays in force
until k, seed, event types or the embedding model version change (or `refit=True`). Then a new fit
is made over the same window, as a new version beside the old one: its own assignments and its
own feature rows, never the old fit's. A new embedding model waits for its vectors to cover every
note (they fill in beside the old ones, see `embeddings.store`) before the fit is made in its
space; the old fit then gets centroids in the new space (the mean new vector of each of its
topics' notes), so a production model trained on it goes on reading it for new days.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import psycopg
from psycopg import sql

from platform_assets.db.sql import compose, load_sql
from platform_assets.embeddings.scope import (
    EMBEDDING_COLUMN,
    EMBEDDINGS_TABLE,
    MAX_TOPICS,
    TOPIC_EVENT_TYPES,
)
from platform_assets.embeddings.store import VERIFY_DAYS, column_dimensions, coverage
from platform_assets.embeddings.vector_copy import read_vectors

_TOPICS = sql.Identifier("vectors", "topics")
# Words every topic shares (the domain's own vocabulary, weekdays, bin types) say nothing about
# any one of them.
_DOMAIN_STOP_WORDS = frozenset({
    "bin", "bins", "customer", "customers", "complaint", "complaints", "complains", "complained",
    "says", "said", "reports", "report", "reported", "states", "caller", "resident", "called",
    "logged", "email", "wants", "asks", "requests", "road", "street", "lane", "avenue", "close",
    "way", "drive", "crescent", "gardens", "terrace", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "general", "recycling", "organic",
})


class TopicFitError(RuntimeError):
    """The topic model cannot be fitted (too few texts)."""


class FitPending(TopicFitError):
    """No fit yet, and not enough days of notes to make the first one: nothing to serve yet."""


@dataclass(frozen=True)
class TopicSettings:
    k: int = MAX_TOPICS
    seed: int = 0
    event_types: tuple[str, ...] = TOPIC_EVENT_TYPES
    fit_days: int = 30  # the notes a first fit learns from: the days before the first day served
    label_texts: int = 50  # notes nearest each centroid read for its label
    label_terms: int = 3

    def __post_init__(self):
        if not 2 <= self.k <= MAX_TOPICS:
            raise ValueError(f"k must be in [2, {MAX_TOPICS}] (the view's width), got {self.k}")
        if self.fit_days < 1:
            raise ValueError(f"fit_days must be at least 1, got {self.fit_days}")


@dataclass(frozen=True)
class FitRow:
    """A topic model version as recorded in `vectors.topic_fits`."""

    fit_id: str
    model_version: str  # the embedding space it was fitted in
    k: int
    seed: int
    event_types: list[str]
    fit_from: date | None  # None: a fit made before topic versions (window unknown)
    serves_from: date

    def matches(self, settings: "TopicSettings", model_version: str) -> bool:
        return (self.model_version, self.k, self.seed, sorted(self.event_types)) == (
            model_version, settings.k, settings.seed, sorted(settings.event_types)
        )


@dataclass(frozen=True)
class Plan:
    """The fit in force after `prepare`, whether it is new, and the notes a wanted refit still
    waits for (a new embedding model's vectors not yet covering every note)."""

    current: FitRow
    created: bool
    fit_texts: int | None  # texts a new fit used
    waiting_for: int = 0


# --- fitting -----------------------------------------------------------------------------------


def fit_kmeans(vectors: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Centroids and per-vector topic ids, topics numbered by size (0 = the largest)."""
    from sklearn.cluster import KMeans  # lazy: scikit-learn costs a second to import

    if len(vectors) < k:
        raise TopicFitError(f"{len(vectors)} texts cannot make {k} topics")
    kmeans = KMeans(n_clusters=k, random_state=seed, n_init=4).fit(vectors)
    sizes = np.bincount(kmeans.labels_, minlength=k)
    order = np.lexsort((np.arange(k), -sizes))  # largest first, ties by k-means' own number
    renumber = np.empty(k, dtype=int)
    renumber[order] = np.arange(k)
    return kmeans.cluster_centers_[order].astype(np.float32), renumber[kmeans.labels_]


def nearest_members(
    vectors: np.ndarray, topics: np.ndarray, centroids: np.ndarray, n: int
) -> list[np.ndarray]:
    """Indices of each topic's `n` members nearest its centroid (the most typical notes)."""
    nearest = []
    for topic, centroid in enumerate(centroids):
        members = np.flatnonzero(topics == topic)
        distances = np.linalg.norm(vectors[members] - centroid, axis=1)
        nearest.append(members[np.argsort(distances, kind="stable")[:n]])
    return nearest


def label_topics(texts_by_topic: list[list[str]], terms: int = 3) -> list[str]:
    """A label per topic: its `terms` most typical words or bigrams by class-based TF-IDF.

    Term frequency within the topic, weighted down by how common the term is across topics, so
    words every note uses (and street names, spread evenly) lose to the words of the topic.
    A term sharing a word with a better term is skipped, so the label names three things.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    documents = [" ".join(texts) for texts in texts_by_topic]
    vectorizer = CountVectorizer(
        ngram_range=(1, 2),
        stop_words=sorted(ENGLISH_STOP_WORDS | _DOMAIN_STOP_WORDS),
        token_pattern=r"(?u)\b[^\W\d_]{3,}\b",  # words of letters only: no sizes or weights
        lowercase=True,
    )
    try:
        counts = vectorizer.fit_transform(documents).toarray().astype(float)
    except ValueError:  # no words at all (every note was stop words or digits)
        return ["(no words)"] * len(documents)
    vocabulary = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    idf = np.log1p(counts.sum(axis=1).mean() / np.maximum(counts.sum(axis=0), 1))
    return [_top_terms(vocabulary, scores, terms) for scores in tf * idf]


def _top_terms(vocabulary: np.ndarray, scores: np.ndarray, terms: int) -> str:
    chosen: list[str] = []
    seen: set[str] = set()
    for index in np.lexsort((vocabulary, -scores)):  # best first, ties alphabetical
        if scores[index] <= 0 or len(chosen) == terms:
            break
        words = {_stem(word) for word in str(vocabulary[index]).split()}
        if not words & seen:
            chosen.append(str(vocabulary[index]))
            seen |= words
    return ", ".join(chosen) if chosen else "(no words)"


def _stem(word: str) -> str:
    """Just enough stemming that "smell", "smells" and "smelling" count as one word."""
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)]
    return word


# --- the database side -------------------------------------------------------------------------


def current_fit(conn: psycopg.Connection) -> FitRow | None:
    row = conn.execute(load_sql("embeddings/current_fit")).fetchone()
    return FitRow(*row) if row else None


def live_fits(conn: psycopg.Connection, current: FitRow, view_name: str) -> list[FitRow]:
    """The fits whose rows are written: the one in force (last) and those production reads."""
    rows = conn.execute(
        load_sql("embeddings/live_fits"), {"current": current.fit_id, "view_name": view_name}
    ).fetchall()
    return [FitRow(*row) for row in rows]


def _window(conn, settings: TopicSettings, first_day: str, last_day: str) -> tuple[date, date]:
    """A first fit's window: the `fit_days` before the first day it serves, which is the range's
    first day, or later when there are not `fit_days` of notes before it."""
    first_note = conn.execute(
        load_sql("embeddings/first_note_day"), {"event_types": list(settings.event_types)}
    ).fetchone()[0]
    if first_note is None:
        raise FitPending("no complaint-like notes in staging yet: nothing to fit topics on")
    serves_from = max(date.fromisoformat(first_day), first_note + timedelta(settings.fit_days))
    if serves_from > date.fromisoformat(last_day):
        raise FitPending(
            f"the first topic fit learns from the {settings.fit_days} days of notes before the "
            f"first day it serves; notes start {first_note}, so it can serve {serves_from} at the "
            f"earliest, after this range ({first_day}..{last_day}); no topic rows until then "
            "(or lower fit_days)"
        )
    return serves_from - timedelta(settings.fit_days), serves_from


def prepare(
    conn: psycopg.Connection,
    settings: TopicSettings,
    model_version: str,
    first_day: str,
    last_day: str,
    view_name: str,
    refit: bool = False,
) -> Plan:
    """Keep the fit in force, or make a new one (a first fit; changed settings or `refit`; a new
    embedding model once its vectors cover every note up to `last_day`). Runs in the caller's
    transaction, which holds the topic view's lock."""
    current = current_fit(conn)
    if current is not None and current.matches(settings, model_version) and not refit:
        return Plan(current, created=False, fit_texts=None)
    if current is not None and current.model_version != model_version:
        _, missing = coverage(conn, model_version, list(settings.event_types), last_day)
        if missing:
            return Plan(current, created=False, fit_texts=None, waiting_for=missing)
    if current is None or current.fit_from is None:
        fit_from, serves_from = _window(conn, settings, first_day, last_day)
    else:  # the same window: the new version serves every day the old one did
        fit_from, serves_from = current.fit_from, current.serves_from
    fit, texts = _fit(conn, settings, model_version, fit_from, serves_from)
    if current is not None and current.model_version != model_version:
        for old in {f.fit_id: f for f in [current, *live_fits(conn, current, view_name)]}.values():
            bridge(conn, old, model_version)
    return Plan(fit, created=True, fit_texts=texts)


def bridge(conn: psycopg.Connection, fit: FitRow, model_version: str) -> None:
    """Give `fit` centroids in `model_version`'s space, once (see bridge_topics.sql); its next
    assignment looks at every event, since any may now have a vector the fit can read."""
    params = {"fit_id": fit.fit_id, "model_version": model_version, "native": fit.model_version}
    conn.execute(load_sql("embeddings/bridge_topics"), params)
    conn.execute(load_sql("embeddings/forget_assignment"), params)


def _fit(
    conn: psycopg.Connection,
    settings: TopicSettings,
    model_version: str,
    fit_from: date,
    serves_from: date,
) -> tuple[FitRow, int]:
    """Fit k-means on the window's vectors, label the topics, record the new version."""
    params = {
        "event_types": list(settings.event_types),
        "model_version": model_version,
        "fit_from": fit_from,
        "serves_from": serves_from,
    }
    dims = column_dimensions(conn, EMBEDDINGS_TABLE, EMBEDDING_COLUMN)
    inputs = sql.SQL(load_sql("embeddings/topic_fit_inputs"))
    ids, vectors = read_vectors(conn, inputs, params, dims)
    if len(ids) < settings.k:
        raise TopicFitError(
            f"only {len(ids)} embedded {'/'.join(settings.event_types)} notes in the fit window "
            f"{fit_from}..{serves_from - timedelta(days=1)} (model_version {model_version}): "
            f"k-means with k={settings.k} needs at least k; materialize "
            "embeddings/service_event_embeddings over that window first"
        )
    centroids, topics = fit_kmeans(vectors, settings.k, settings.seed)
    nearest = nearest_members(vectors, topics, centroids, settings.label_texts)
    labels = label_topics(_texts(conn, ids, nearest), settings.label_terms)
    fit = FitRow(_fit_id(centroids, settings, model_version, fit_from, serves_from),
                 model_version, settings.k, settings.seed, list(settings.event_types),
                 fit_from, serves_from)
    inserted = conn.execute(load_sql("embeddings/record_fit"),
                            {**params, "fit_id": fit.fit_id, "k": fit.k, "seed": fit.seed,
                             "fit_texts": len(ids)}).fetchone()[0]
    if inserted:  # else the same fit was made before (back to earlier settings): in force again
        _write_topics(conn, fit, centroids, labels)
    return fit, len(ids)


def _texts(conn, ids: list, nearest: list[np.ndarray]) -> list[list[str]]:
    wanted = [ids[i] for members in nearest for i in members]
    found = dict(conn.execute(load_sql("embeddings/label_texts"), {"event_ids": wanted}))
    return [[found[ids[i]] for i in members if ids[i] in found] for members in nearest]


def _fit_id(centroids: np.ndarray, settings: TopicSettings, model_version: str, *window) -> str:
    digest = hashlib.sha256(centroids.tobytes())
    digest.update(json.dumps([settings.k, settings.seed, sorted(settings.event_types),
                              model_version, *(d.isoformat() for d in window)]).encode())
    return digest.hexdigest()[:12]


def _write_topics(conn, fit: FitRow, centroids, labels) -> None:
    """COPY the k topic rows (sizes are filled in after the events are assigned)."""
    columns = ("fit_id", "model_version", "topic_id", "label", "size", "k", "seed",
               "event_types", "fit_cutoff", "centroid")
    statement = sql.SQL("copy {} ({}) from stdin").format(
        _TOPICS, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    cutoff = fit.serves_from.isoformat() + "T00:00:00+00:00"
    with conn.cursor().copy(statement) as copy:
        for topic_id, (centroid, label) in enumerate(zip(centroids, labels, strict=True)):
            vector = "[" + ",".join(map(repr, centroid.tolist())) + "]"
            copy.write_row((fit.fit_id, fit.model_version, topic_id, label, 0, fit.k, fit.seed,
                            fit.event_types, cutoff, vector))


def assign(conn: psycopg.Connection, fit: FitRow, first_day: str, last_day: str) -> int:
    """Give the in-scope embedded events their topic under `fit`; return the rows changed.

    When the fit's assignments are up to date through the day before the range (and a full pass
    confirmed them within `VERIFY_DAYS`), only the events the range's partitions touched are
    looked at: an event changes only in the partitions of the run that changes it. Otherwise
    every event is (a new fit, a bridged one, a gap, the weekly pass). Runs in the caller's
    transaction, which holds the topic view's lock."""
    params = {"fit_id": fit.fit_id, "event_types": fit.event_types, "native": fit.model_version,
              "first_partition": first_day, "last_partition": last_day,
              "verify_days": VERIFY_DAYS}
    only_touched = conn.execute(load_sql("embeddings/assignment_state"), params).fetchone()[0]
    filters = {"drop_stale_topics": sql.SQL(""), "assign_topics": sql.SQL("")}
    if only_touched:
        conn.execute("drop table if exists topic_touched")
        conn.execute(load_sql("embeddings/create_touched"), params)
        conn.execute("analyze topic_touched")
        filters = {name: sql.SQL("and {}.event_id in (select event_id from topic_touched)")
                   .format(sql.Identifier(alias))
                   for name, alias in (("drop_stale_topics", "a"), ("assign_topics", "v"))}
    conn.execute(compose("embeddings/drop_stale_topics", touched=filters["drop_stale_topics"]),
                 params)
    assigned = conn.execute(
        compose("embeddings/assign_topics", touched=filters["assign_topics"]), params
    ).rowcount
    conn.execute(load_sql("embeddings/topic_sizes"), params)
    conn.execute(load_sql("embeddings/record_assignment"), params | {"full_pass": not only_touched})
    if only_touched:
        conn.execute("drop table topic_touched")
    return assigned


def scope_counts(
    conn: psycopg.Connection, fit: FitRow, model_version: str, first_day: str, last_day: str
) -> dict:
    """How many events of the topic types in [first_day, last_day] have a topic under `fit`, no
    embedding at all, or no vector of the current model version yet."""
    cursor = conn.execute(
        load_sql("embeddings/topic_scope_counts"),
        {"fit_id": fit.fit_id, "event_types": fit.event_types, "model_version": model_version,
         "first_day": first_day, "last_day": last_day},
    )
    return dict(zip([d.name for d in cursor.description], cursor.fetchone(), strict=True))


# The SQL of the fits and the assignment: part of the topic view's code version.
FIT_SQL = (
    "embeddings/current_fit", "embeddings/live_fits", "embeddings/first_note_day",
    "embeddings/topic_fit_inputs", "embeddings/record_fit", "embeddings/label_texts",
    "embeddings/bridge_topics", "embeddings/drop_stale_topics", "embeddings/assign_topics",
    "embeddings/topic_sizes", "embeddings/coverage", "embeddings/assignment_state",
    "embeddings/create_touched", "embeddings/record_assignment", "embeddings/forget_assignment",
)
