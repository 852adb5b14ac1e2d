"""The prediction tasks: what each labels, over which entity and horizon, from which views.

A task's labels come from `sql/training/labels_<name>.sql`, with the grid and the observed
horizon every task shares composed in (`LABEL_FRAGMENTS`); its features from every view in
`views`, joined point in time. Adding a view to a task (a topics view, say) is a change to its
`views` tuple and nothing else: the join, the column names and the version follow from it.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from psycopg import sql

from platform_assets.db.sql import compose
from platform_assets.features.views import CUSTOMER_TOPICS_DAILY, VIEWS_BY_NAME, FeatureView

LabelKind = Literal["classification", "regression"]

# As-of dates are a weekly grid: daily rows of one entity would be near-duplicates that a
# random row-level metric would reward. Labels are taken at noon UTC of each as-of date.
GRID = timedelta(days=7)

# The CTE bodies every label query shares, by the `{placeholder}` that takes each: one grid of
# as-of times and one rule for an observed horizon, so the tasks cannot drift apart.
LABEL_FRAGMENTS = {
    "label_grid": "training/label_grid",
    "observed_horizon": "training/observed_horizon",
}


@dataclass(frozen=True)
class Task:
    name: str
    entity_key: str
    horizon: timedelta  # the label looks at (label_ts, label_ts + horizon]
    kind: LabelKind
    views: tuple[FeatureView, ...]
    description: str
    grid: timedelta = GRID

    @property
    def label_sql(self) -> str:
        return f"training/labels_{self.name}"

    def label_query(self) -> sql.Composed:
        """The label query with the shared fragments composed in; it binds first_date,
        last_date, grid and horizon."""
        fragments = {slot: compose(name) for slot, name in LABEL_FRAGMENTS.items()}
        return compose(self.label_sql, **fragments)

    @property
    def table(self) -> str:
        return f"training.{self.name}"

    def spec(self) -> dict:
        """What of the task shapes its rows (for the version); descriptions are left out."""
        return {
            "name": self.name,
            "entity_key": self.entity_key,
            "horizon_s": self.horizon.total_seconds(),
            "grid_s": self.grid.total_seconds(),
            "kind": self.kind,
            "label_sql": self.label_sql,
            "views": [
                {"name": v.name, "entity_key": v.entity_key, "ttl_s": v.ttl.total_seconds()}
                for v in self.views
            ],
        }


def _views(*names: str) -> tuple[FeatureView, ...]:
    return tuple(VIEWS_BY_NAME[name] for name in names)


TASKS: tuple[Task, ...] = (
    Task(
        name="churn_risk",
        entity_key="customer_id",
        horizon=timedelta(days=30),
        kind="classification",
        views=(*_views("customer_daily"), CUSTOMER_TOPICS_DAILY),
        description="Per active customer and weekly as-of date: 1 if the customer churns within "
        "30 days after label_ts, else 0, with the customer features known at label_ts.",
    ),
    Task(
        name="maintenance_prediction",
        entity_key="vehicle_id",
        horizon=timedelta(days=14),
        kind="classification",
        views=_views("vehicle_daily"),
        description="Per vehicle in service and weekly as-of date: 1 if the vehicle breaks down "
        "within 14 days after label_ts, else 0, with the vehicle features known at label_ts.",
    ),
    Task(
        name="demand_forecast",
        entity_key="bin_id",
        horizon=timedelta(days=7),
        kind="regression",
        views=_views("bin_daily"),
        description="Per installed bin and weekly as-of date: kg collected from the bin in the "
        "7 days after label_ts (regression), with the bin features known at label_ts.",
    ),
)

TASKS_BY_NAME = {task.name: task for task in TASKS}
