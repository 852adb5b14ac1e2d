"""The topic feature view's spec, in the shape of `platform_assets.features.views.FeatureView`.

It lives here because its rows come from the topic model, not from a `sql/features/` query
alone; the training join treats it like any other view (entity key, ttl, point-in-time rule).
"""

from datetime import timedelta

from platform_assets.features.views import FeatureView

# A dataset joins features as columns, so the table's width is fixed: k is capped at this many
# topics and the columns of topics beyond k count 0.
MAX_TOPICS = 8
WINDOWS_DAYS = (30, 90)
LOOKBACK_DAYS = max(WINDOWS_DAYS) - 1

_EVENTS = "staging.service_events"
_TOPIC_SOURCES = (
    f"{_EVENTS}.description",
    f"{_EVENTS}.event_type",
    f"{_EVENTS}.service_date",
    "embeddings.service_event_embeddings.embedding",
)


def topic_column(topic_id: int, days: int) -> str:
    return f"topic_{topic_id}_{days}d"


TOPIC_COLUMNS = tuple(
    topic_column(topic, days) for days in WINDOWS_DAYS for topic in range(MAX_TOPICS)
)

CUSTOMER_TOPICS_DAILY = FeatureView(
    name="customer_topics_daily",
    entity="customer",
    entity_key="customer_id",
    ttl=timedelta(days=2),
    source_tables=(
        "staging.customers",
        _EVENTS,
        "vectors.service_event_embeddings",
        "vectors.event_topics",
    ),
    lookback_days=LOOKBACK_DAYS,
    description="Per customer and day: complaint-like events (complaints, missed pickups, "
    "overflow reports) of each topic over 30/90 days. Topics are k-means clusters of the "
    "notes' embeddings, labelled in vectors.topics. No PII.",
    lineage={column: _TOPIC_SOURCES for column in TOPIC_COLUMNS},
)
