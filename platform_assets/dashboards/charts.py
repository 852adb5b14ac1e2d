"""One PNG chart per dashboard view, drawn from the view's chart query (`<name>_chart.sql`).

Figures are drawn on the non-interactive Agg canvas with the object-oriented API, never pyplot
or `matplotlib.use()`: no global figure or backend state to leak across runs in a long-lived
`dagster dev` process, and no display needed.
An empty view still gets a chart that says so, so the report never shows a broken image.
"""

import io
from collections.abc import Callable

import pandas as pd
from matplotlib import dates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from platform_assets.models.specs import MODEL_SPECS
from platform_assets.monitoring.drift_stats import PSI_WARN

SIZE = (9, 3.6)
DPI = 100
LEFT, RIGHT = "tab:blue", "tab:red"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _no_data(axes: Axes) -> None:
    axes.text(0.5, 0.5, "no data yet", ha="center", va="center", fontsize=14, color="gray",
              transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def _date_axis(axes: Axes, xs: pd.Series, pad: pd.Timedelta) -> None:
    if xs.min() == xs.max():  # a single date: give the locator a range to place ticks in
        axes.set_xlim(xs.min() - pad, xs.max() + pad)
    locator = dates.AutoDateLocator(maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))


def _two_series(title: str, frame: pd.DataFrame, x: str, left: str, right: str,
                left_label: str, right_label: str) -> bytes:
    """`left` as bars and `right` as a line on its own axis, against `x`."""
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title)
    if frame.empty:
        _no_data(axes)
        return _png(figure)
    xs = pd.to_datetime(frame[x], utc=x == "hour")
    width = 0.8 / 24 if x == "hour" else 0.8  # bar widths are in days on a date axis
    axes.bar(xs, frame[left].astype(float), width=width, color=LEFT, alpha=0.6)
    axes.set_ylabel(left_label, color=LEFT)
    twin = axes.twinx()
    twin.plot(xs, frame[right].astype(float), color=RIGHT, marker=".")
    twin.set_ylabel(right_label, color=RIGHT)
    _date_axis(axes, xs, pd.Timedelta(hours=1) if x == "hour" else pd.Timedelta(days=1))
    return _png(figure)


def ops_daily_kpis(frame: pd.DataFrame) -> bytes:
    return _two_series("Pickups and missed-pickup rate per day (all organizations)", frame,
                       "day", "pickups", "missed_pickup_rate", "pickups", "missed-pickup rate")


def model_performance_daily(frame: pd.DataFrame) -> bytes:
    """AUC (classifiers) and MAE per day, one line per model version, side by side."""
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    for index, (metric, label) in enumerate((("auc", "AUC"), ("mae", "MAE")), start=1):
        axes = figure.add_subplot(1, 2, index)
        axes.set_title(f"{label} per day")
        series = frame.dropna(subset=[metric])
        if series.empty:
            _no_data(axes)
            continue
        for model, rows in series.groupby("model", sort=True):
            axes.plot(pd.to_datetime(rows["day"]), rows[metric].astype(float), marker=".",
                      label=model)
        axes.legend(fontsize="small")
        _date_axis(axes, pd.to_datetime(series["day"]), pd.Timedelta(days=1))
    return _png(figure)


def data_quality_daily(frame: pd.DataFrame) -> bytes:
    return _two_series("Checks failed and rows rejected per day", frame, "day",
                       "checks_failed", "rows_rejected", "checks failed", "rows rejected")


def ml_performance_dashboard(frame: pd.DataFrame) -> bytes:
    return _two_series("ML operations and commits per hour", frame, "hour", "ml_operations",
                       "commits", "ML operations", "commits")


def feature_drift_daily(frame: pd.DataFrame) -> bytes:
    """The highest PSI of each feature view per day (log scale), with the warn and alert lines."""
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title("Highest feature PSI per day and feature view")
    if frame.empty:
        _no_data(axes)
        return _png(figure)
    for view, rows in frame.groupby("view_name", sort=True):
        axes.plot(pd.to_datetime(rows["day"]), rows["max_psi"].astype(float).clip(lower=1e-3),
                  marker=".", label=view)
    alert = max(spec.psi_threshold for spec in MODEL_SPECS.values())
    for level, value, color in (("warn", PSI_WARN, "tab:orange"), ("alert", alert, RIGHT)):
        axes.axhline(value, color=color, linestyle="--", linewidth=1, label=f"{level} {value:g}")
    axes.set_yscale("log")
    axes.set_ylabel("PSI")
    axes.legend(fontsize="small")
    _date_axis(axes, pd.to_datetime(frame["day"]), pd.Timedelta(days=1))
    return _png(figure)


CHARTS: dict[str, Callable[[pd.DataFrame], bytes]] = {
    "ops_daily_kpis": ops_daily_kpis,
    "model_performance_daily": model_performance_daily,
    "data_quality_daily": data_quality_daily,
    "ml_performance_dashboard": ml_performance_dashboard,
    "feature_drift_daily": feature_drift_daily,
}


def render(name: str, frame: pd.DataFrame) -> bytes:
    """The PNG of view `name`'s chart from its chart query's rows."""
    return CHARTS[name](frame)
