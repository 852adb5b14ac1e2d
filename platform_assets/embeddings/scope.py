"""Names the embeddings code shares: what is embedded and where the vectors live."""

from collections.abc import Iterable

# The operational app's event types (the design notes' service_events.event_type).
EVENT_TYPES = (
    "pickup", "missed_pickup", "overflow_report", "complaint", "maintenance", "breakdown"
)

# Routine pickup notes are ~85% of all events and say "emptied the bin at X": nobody searches
# them, and embedding them would cost most of the compute. Every other type is embedded.
EMBEDDED_EVENT_TYPES = tuple(t for t in EVENT_TYPES if t != "pickup")

# Customer-facing problems: the texts the topic model clusters.
TOPIC_EVENT_TYPES = ("missed_pickup", "overflow_report", "complaint")

# A dataset joins the topic features as columns, so features.customer_topics_daily has a fixed
# width: k is capped at this many topics, and the columns of topics beyond k count 0.
MAX_TOPICS = 8

EMBEDDINGS_TABLE = "vectors.service_event_embeddings"
EMBEDDING_COLUMN = "embedding"
ENTITY_TYPE = "service_event"


def validate_event_types(types: Iterable[str]) -> list[str]:
    """Reject unknown types: a typo in config would otherwise select nothing, silently."""
    chosen = list(types)
    unknown = sorted(set(chosen) - set(EVENT_TYPES))
    if unknown or not chosen:
        raise ValueError(
            f"event types must be a non-empty subset of {list(EVENT_TYPES)}; got {chosen}"
        )
    return chosen
