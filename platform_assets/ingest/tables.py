"""What ingest knows about each operational table beyond its columns.

Columns and types come from the staging tables themselves (the migrations are the single
source of truth); this module adds what the catalog cannot say: required keys, parents, PII and
business rules. Rule predicates are code constants over the typed row `t`, never config. Rules
every table gets (missing required values, unparseable values, timestamps later than the load,
unknown parents) are derived in `platform_assets.ingest.validate`.
"""

from dataclasses import dataclass, field

CUSTOMER_EVENTS = "('pickup', 'missed_pickup', 'overflow_report', 'complaint')"
VEHICLE_EVENTS = "('maintenance', 'breakdown')"


@dataclass(frozen=True)
class Rule:
    reason: str
    predicate: str  # true when the row breaks the rule


@dataclass(frozen=True)
class SourceTable:
    name: str
    required: tuple[str, ...]
    parents: dict[str, str] = field(default_factory=dict)  # foreign-key column -> parent table
    pii: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    description: str = ""
    # Every version is kept in staging.<name>_history with its valid time (SCD2); without it,
    # staging keeps the latest version only (service events: facts whose valid time is their
    # service_date, corrected in place).
    keeps_history: bool = True
    # The UTC day a row's facts hold from (over alias `t`): when a load changes rows whose day is
    # before its range, the feature views that read the table recompute from that day.
    valid_day: str = "(t.valid_from at time zone 'UTC')::date"
    # The feature entities a row belongs to: (entity key, column of this table holding it).
    entities: tuple[tuple[str, str], ...] = ()


SOURCE_TABLES: tuple[SourceTable, ...] = (
    SourceTable(
        name="organizations",
        required=("id", "name", "created_at", "updated_at"),
        description="Waste-collection operators (tenants).",
    ),
    SourceTable(
        name="customers",
        required=("id", "organization_id", "service_tier", "status", "created_at", "updated_at"),
        parents={"organization_id": "organizations"},
        pii=("name", "email", "service_address", "lat", "lon"),
        rules=(
            Rule("unknown service_tier", "t.service_tier not in ('basic', 'standard', 'premium')"),
            Rule("unknown status", "t.status not in ('active', 'suspended', 'churned')"),
            Rule("churned without churned_at", "t.status = 'churned' and t.churned_at is null"),
        ),
        description="Customers of the operators, with service tier and churn status.",
        entities=(("customer_id", "id"),),
    ),
    SourceTable(
        name="bins",
        required=(
            "id",
            "customer_id",
            "organization_id",
            "bin_type",
            "capacity_liters",
            "status",
            "created_at",
            "updated_at",
        ),
        parents={"organization_id": "organizations", "customer_id": "customers"},
        rules=(
            Rule("unknown bin_type", "t.bin_type not in ('general', 'recycling', 'organic')"),
            Rule("capacity_liters not positive", "t.capacity_liters <= 0"),
        ),
        description="Bins placed at customers, collected weekly.",
        entities=(("bin_id", "id"), ("customer_id", "customer_id")),
    ),
    SourceTable(
        name="vehicles",
        required=("id", "organization_id", "status", "created_at", "updated_at"),
        parents={"organization_id": "organizations"},
        rules=(
            Rule("negative odometer_km", "t.odometer_km < 0"),
            Rule("capacity_kg not positive", "t.capacity_kg <= 0"),
        ),
        description="Collection vehicles with odometer and status.",
        entities=(("vehicle_id", "id"),),
    ),
    SourceTable(
        name="routes",
        required=("id", "organization_id", "vehicle_id", "route_date", "created_at", "updated_at"),
        parents={"organization_id": "organizations", "vehicle_id": "vehicles"},
        rules=(
            Rule("route_date in the future", "t.route_date > t.loaded_at::date"),
            Rule("completed_stops above planned_stops", "t.completed_stops > t.planned_stops"),
            Rule(
                "negative distance or duration",
                "t.total_distance_km < 0 or t.total_duration_min < 0",
            ),
        ),
        description="Daily vehicle routes: planned and completed stops, distance, duration.",
        valid_day="t.route_date",
        entities=(("vehicle_id", "vehicle_id"),),
    ),
    SourceTable(
        name="service_events",
        required=(
            "id",
            "organization_id",
            "event_type",
            "service_date",
            "created_at",
            "updated_at",
        ),
        parents={
            "organization_id": "organizations",
            "customer_id": "customers",
            "bin_id": "bins",
            "route_id": "routes",
            "vehicle_id": "vehicles",
        },
        rules=(
            Rule(
                "unknown event_type",
                "t.event_type not in ('pickup', 'missed_pickup', 'overflow_report', 'complaint',"
                " 'maintenance', 'breakdown')",
            ),
            Rule(
                "missing customer_id or bin_id on a customer event",
                f"t.event_type in {CUSTOMER_EVENTS}"
                " and (t.customer_id is null or t.bin_id is null)",
            ),
            Rule(
                "missing vehicle_id on a vehicle event",
                f"t.event_type in {VEHICLE_EVENTS} and t.vehicle_id is null",
            ),
            Rule("negative weight_kg", "t.weight_kg < 0"),
            Rule("fill_level_pct outside 0-100", "t.fill_level_pct not between 0 and 100"),
        ),
        description="Pickups, missed pickups, overflow reports, complaints, maintenance and "
        "breakdowns, with free-text descriptions.",
        keeps_history=False,
        valid_day="(t.service_date at time zone 'UTC')::date",
        entities=(
            ("customer_id", "customer_id"), ("bin_id", "bin_id"), ("vehicle_id", "vehicle_id")
        ),
    ),
)

TABLES_BY_NAME = {table.name: table for table in SOURCE_TABLES}
# Columns every raw/staging table adds to the source columns.
RAW_METADATA = ("partition_key", "load_id", "loaded_at")
STAGING_METADATA = ("partition_key", "load_id", "staged_at")
