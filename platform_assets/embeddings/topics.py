"""Topics of complaint-like notes as customer features.

k-means (scikit-learn, fixed seed) clusters the embeddings of complaints, missed pickups and
overflow reports; each cluster is labelled with its most typical phrases (class-based TF-IDF of
the notes nearest its centroid, stop words removed). Every embedded event of those types gets its
nearest centroid in `vectors.event_topics`, and `features.customer_topics_daily` counts each
customer's events per topic over 30/90 days.

Fit window: the first run fits on every embedding of an event before the end of its partition
range, and the fit is then frozen. Refitting on every nightly run would renumber the topics, so
`topic_3_30d` would mean one thing in yesterday's rows and another in today's; a training set
spanning both would be meaningless. A changed k, seed, event types or model_version (or
`refit=True`) fits again and rewrites every materialized day in the same transaction, so all rows
always count topics of one fit. The fit sees notes from days after some feature rows (their
wording, never a label or a count): accepted, since k-means only learns which notes are alike.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import psycopg
from psycopg import sql

from platform_assets.db.sql import load_sql
from platform_assets.embeddings.scope import (
    EMBEDDING_COLUMN,
    EMBEDDINGS_TABLE,
    MAX_TOPICS,
    TOPIC_EVENT_TYPES,
)
from platform_assets.embeddings.store import column_dimensions
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


@dataclass(frozen=True)
class TopicSettings:
    k: int = MAX_TOPICS
    seed: int = 0
    event_types: tuple[str, ...] = TOPIC_EVENT_TYPES
    label_texts: int = 50  # notes nearest each centroid read for its label
    label_terms: int = 3

    def __post_init__(self):
        if not 2 <= self.k <= MAX_TOPICS:
            raise ValueError(f"k must be in [2, {MAX_TOPICS}] (the view's width), got {self.k}")


@dataclass(frozen=True)
class Fit:
    """The topics the view counts after `fit_and_assign`."""

    fit_id: str
    refitted: bool
    fit_texts: int | None  # texts the fit used (None: the frozen fit was reused)
    assigned: int  # events whose topic was (re)assigned


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


def end_of_day(day: str) -> datetime:
    """The moment a day's rows become valid: the next midnight, UTC."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), tzinfo=UTC)


def _fit_matches(row: tuple | None, settings: TopicSettings, model_version: str) -> bool:
    if row is None:
        return False
    _, version, k, seed, event_types, _ = row
    return (version, k, seed, sorted(event_types)) == (
        model_version, settings.k, settings.seed, sorted(settings.event_types)
    )


def _fit(
    conn: psycopg.Connection, settings: TopicSettings, model_version: str, cutoff: datetime
) -> tuple[str, int]:
    """Fit k-means on the vectors before `cutoff`, label the topics, replace vectors.topics."""
    params = {
        "event_types": list(settings.event_types),
        "model_version": model_version,
        "cutoff": cutoff,
    }
    dims = column_dimensions(conn, EMBEDDINGS_TABLE, EMBEDDING_COLUMN)
    inputs = sql.SQL(load_sql("embeddings/topic_fit_inputs"))
    ids, vectors = read_vectors(conn, inputs, params, dims)
    if len(ids) < settings.k:
        raise TopicFitError(
            f"only {len(ids)} embedded {'/'.join(settings.event_types)} notes before "
            f"{cutoff:%Y-%m-%d} (model_version {model_version}): k-means with k={settings.k} "
            "needs at least k; materialize embeddings/service_event_embeddings first, or run "
            "the topics over a longer range"
        )
    centroids, topics = fit_kmeans(vectors, settings.k, settings.seed)
    nearest = nearest_members(vectors, topics, centroids, settings.label_texts)
    labels = label_topics(_texts(conn, ids, nearest), settings.label_terms)
    fit_id = _fit_id(centroids, settings, model_version, cutoff)
    conn.execute(load_sql("embeddings/clear_topics"))
    _write_topics(conn, fit_id, settings, model_version, cutoff, centroids, labels)
    return fit_id, len(ids)


def _texts(conn, ids: list, nearest: list[np.ndarray]) -> list[list[str]]:
    wanted = [ids[i] for members in nearest for i in members]
    found = dict(conn.execute(load_sql("embeddings/label_texts"), {"event_ids": wanted}))
    return [[found[ids[i]] for i in members if ids[i] in found] for members in nearest]


def _fit_id(centroids: np.ndarray, settings: TopicSettings, model_version: str, cutoff) -> str:
    digest = hashlib.sha256(centroids.tobytes())
    digest.update(json.dumps([settings.k, settings.seed, sorted(settings.event_types),
                              model_version, cutoff.isoformat()]).encode())
    return digest.hexdigest()[:12]


def _write_topics(conn, fit_id, settings, model_version, cutoff, centroids, labels) -> None:
    """COPY the k topic rows (sizes are filled in after the events are assigned)."""
    columns = ("topic_id", "label", "size", "model_version", "fit_id", "k", "seed",
               "event_types", "fit_cutoff", "centroid")
    statement = sql.SQL("copy {} ({}) from stdin").format(
        _TOPICS, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor().copy(statement) as copy:
        for topic_id, (centroid, label) in enumerate(zip(centroids, labels, strict=True)):
            vector = "[" + ",".join(map(repr, centroid.tolist())) + "]"
            copy.write_row((topic_id, label, 0, model_version, fit_id, settings.k,
                            settings.seed, list(settings.event_types), cutoff, vector))


def fit_and_assign(
    conn: psycopg.Connection,
    settings: TopicSettings,
    model_version: str,
    last_day: str,
    refit: bool = False,
) -> Fit:
    """Reuse the frozen fit, or fit again on the notes before the end of `last_day` when the
    settings or the model changed; then give every in-scope embedded event its topic. Runs in
    the caller's transaction, which holds the topic view's lock."""
    params = {"event_types": list(settings.event_types), "model_version": model_version}
    current = conn.execute(load_sql("embeddings/current_fit")).fetchone()
    if refit or not _fit_matches(current, settings, model_version):
        fit_id, fit_texts = _fit(conn, settings, model_version, end_of_day(last_day))
    else:
        fit_id, fit_texts = current[0], None
    conn.execute(load_sql("embeddings/drop_stale_topics"), params)
    assigned = conn.execute(load_sql("embeddings/assign_topics"), params).rowcount
    conn.execute(load_sql("embeddings/topic_sizes"))
    return Fit(fit_id, fit_texts is not None, fit_texts, assigned)


def scope_counts(
    conn: psycopg.Connection, settings: TopicSettings, model_version: str, last_day: str
) -> dict:
    """How many events of the topic types are embedded, assigned, or not yet in scope."""
    cursor = conn.execute(
        load_sql("embeddings/topic_scope_counts"),
        {"event_types": list(settings.event_types), "model_version": model_version,
         "last_day": last_day},
    )
    return dict(zip([d.name for d in cursor.description], cursor.fetchone(), strict=True))


# The SQL of the fit and the assignment: part of the topic view's code version.
FIT_SQL = (
    "embeddings/current_fit", "embeddings/topic_fit_inputs", "embeddings/clear_topics",
    "embeddings/label_texts", "embeddings/drop_stale_topics", "embeddings/assign_topics",
    "embeddings/topic_sizes",
)
