"""The feature views: what each is keyed by, how long its rows stay valid, where it reads from.

A view's table is `features.<name>` with the entity key, `feature_ts` (the end of the day the
values describe: from then on they are known and usable), `source_max_ts` (the latest source
time folded into the row, for the leakage check) and typed feature columns; see
`sql/migrations/0005_features_training.sql`. Its rows come from `sql/features/<name>.sql`, which
may compose the fragments in `FRAGMENTS` (`{customer_range}`: the customers and days of a range;
`{customer_as_of}`: the customer's version valid at each row's feature_ts).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from psycopg import sql

from platform_assets.db.sql import compose, load_sql
from platform_assets.embeddings.scope import MAX_TOPICS

# Shared CTEs a view query composes by name, the way training/pit_join composes pit_view.
FRAGMENTS = ("features/customer_range", "features/customer_as_of")


@dataclass(frozen=True)
class FeatureView:
    name: str
    entity: str
    entity_key: str
    ttl: timedelta
    source_tables: tuple[str, ...]
    lookback_days: int  # history the longest window reads before the first day of a partition
    description: str
    # feature column -> the staging columns it is computed from (for column lineage)
    lineage: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (column, min, max) that every row must satisfy (a data-quality check each)
    ranges: tuple[tuple[str, float, float | None], ...] = ()
    # A column naming the variant a row belongs to, when the table holds several side by side
    # (customer_topics_daily: one per topic fit). Writes, checks, fingerprints and joins then
    # read one variant at a time, bound as %(variant)s.
    variant_column: str | None = None

    @property
    def table(self) -> str:
        return f"features.{self.name}"

    @property
    def latest_view(self) -> str:
        return f"features.{self.name}_latest"

    @property
    def sql_name(self) -> str:
        return f"features/{self.name}"

    def query(self) -> sql.Composed:
        """The view's select over [first_day, last_day], its fragments composed in."""
        fragments = {name.split("/")[-1]: sql.SQL(load_sql(name)) for name in FRAGMENTS}
        return compose(self.sql_name, **fragments)

    def query_text(self) -> str:
        """The composed SQL as text: what a view version hashes."""
        return self.query().as_string()

    def variant_filter(self, alias: str | None = None, param: str = "variant") -> sql.Composable:
        """`and <variant column> = %(<param>)s` for a view with variants; nothing otherwise."""
        if self.variant_column is None:
            return sql.SQL("")
        column = sql.Identifier(*([alias] if alias else []), self.variant_column)
        return sql.SQL(" and {} = {}").format(column, sql.Placeholder(param))

    @property
    def meta_columns(self) -> tuple[str, ...]:
        """The columns that are not features: the entity key, KEY_COLUMNS and the variant."""
        return (self.entity_key, *KEY_COLUMNS, *filter(None, [self.variant_column]))


# Metadata columns every view table has besides its features.
KEY_COLUMNS = ("feature_ts", "source_max_ts")

_EVENTS = "staging.service_events"

FEATURE_VIEWS: tuple[FeatureView, ...] = (
    FeatureView(
        name="customer_daily",
        entity="customer",
        entity_key="customer_id",
        ttl=timedelta(days=2),
        source_tables=("staging.customers", "staging.bins", _EVENTS),
        lookback_days=89,
        description="Per customer and day: service received and reported over 7/30/90 days, "
        "fill levels, tonnage trend, tenure, tier and bins. No PII.",
        lineage={
            "service_tier": ("staging.customers.service_tier",),
            "tenure_days": ("staging.customers.created_at",),
            "active_bins": ("staging.bins.installed_at", "staging.bins.status"),
            "pickups_7d": (f"{_EVENTS}.event_type", f"{_EVENTS}.service_date"),
            "missed_pickups_30d": (f"{_EVENTS}.event_type", f"{_EVENTS}.service_date"),
            "complaints_30d": (f"{_EVENTS}.event_type", f"{_EVENTS}.service_date"),
            "avg_fill_level_30d": (f"{_EVENTS}.fill_level_pct", f"{_EVENTS}.service_date"),
            "kg_collected_30d": (f"{_EVENTS}.weight_kg", f"{_EVENTS}.service_date"),
        },
        ranges=(("pickups_90d", 0, None), ("missed_pickups_90d", 0, None),
                ("avg_fill_level_30d", 0, 100), ("tenure_days", 0, None)),
    ),
    FeatureView(
        name="vehicle_daily",
        entity="vehicle",
        entity_key="vehicle_id",
        ttl=timedelta(days=2),
        source_tables=("staging.vehicles", "staging.routes", _EVENTS),
        lookback_days=179,
        description="Per vehicle and day: odometer, km driven, days and km since maintenance, "
        "breakdowns, age and capacity utilisation.",
        lineage={
            "odometer_km": ("staging.vehicles.odometer_km", "staging.routes.total_distance_km"),
            "km_30d": ("staging.routes.total_distance_km", "staging.routes.route_date"),
            "days_since_maintenance": (f"{_EVENTS}.event_type", f"{_EVENTS}.service_date"),
            "breakdowns_90d": (f"{_EVENTS}.event_type", f"{_EVENTS}.service_date"),
            "age_days": ("staging.vehicles.commissioned_at",),
            "capacity_utilisation_30d": ("staging.vehicles.capacity_kg", f"{_EVENTS}.weight_kg"),
        },
        ranges=(("odometer_km", 0, None), ("km_30d", 0, None), ("breakdowns_90d", 0, None)),
    ),
    FeatureView(
        name="bin_daily",
        entity="bin",
        entity_key="bin_id",
        ttl=timedelta(days=2),
        source_tables=("staging.bins", _EVENTS),
        lookback_days=89,
        description="Per bin and day: fill levels, overflow reports, kg collected over 7/28 "
        "days, days since service, and the weekday/season of the day.",
        lineage={
            "bin_type": ("staging.bins.bin_type",),
            "capacity_liters": ("staging.bins.capacity_liters",),
            "avg_fill_level_28d": (f"{_EVENTS}.fill_level_pct", f"{_EVENTS}.service_date"),
            "kg_collected_28d": (f"{_EVENTS}.weight_kg", f"{_EVENTS}.service_date"),
            "overflow_reports_28d": (f"{_EVENTS}.event_type", f"{_EVENTS}.service_date"),
        },
        ranges=(("avg_fill_level_28d", 0, 100), ("max_fill_level_28d", 0, 100),
                ("kg_collected_28d", 0, None)),
    ),
)


# --- features/customer_topics_daily: counts of the topic model's clusters (built in
# `features/customer_topics_daily.py`; the k-means fit lives in `embeddings/topics.py`) ---------

WINDOWS_DAYS = (30, 90)
LOOKBACK_DAYS = max(WINDOWS_DAYS) - 1

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
    variant_column="fit_id",
)

# Every view a training task may join, by name.
VIEWS_BY_NAME = {view.name: view for view in (*FEATURE_VIEWS, CUSTOMER_TOPICS_DAILY)}
