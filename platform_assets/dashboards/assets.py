"""Dashboard assets: `dashboards/<view>` keeps one materialized view in `analytics` fresh and
draws its chart; `dashboards/report` puts every view's chart on one static page.

Analysts query the views while they refresh, so a refresh is `concurrently`: readers keep
their snapshot and never wait. That needs a populated view with a unique index, so the first
materialization (or one after the view's definition changed) creates it instead, in one
transaction with a plain refresh: readers see the old view or the new one, never a missing or
unpopulated one.
"""

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
import pandas as pd
from psycopg import sql

from platform_assets import keys
from platform_assets.dashboards import charts, report
from platform_assets.dashboards.views import DASHBOARD_VIEWS, SCHEMA, DashboardView
from platform_assets.db.catalog import table_columns
from platform_assets.db.locks import lock_relation
from platform_assets.metadata import preview, table_schema, timed
from platform_assets.resources import PostgresResource

_VERSION = re.compile(r"definition ([0-9a-f]{16})$")


@dataclass(frozen=True)
class ViewState:
    version: str | None  # from the view's comment; None when it carries none
    populated: bool


def view_state(conn, view: DashboardView) -> ViewState | None:
    """The existing view's recorded definition version, or None when there is no view."""
    row = conn.execute(
        "select obj_description(format('%%I.%%I', schemaname, matviewname)::regclass,"
        " 'pg_class'), ispopulated from pg_matviews where schemaname = %s and matviewname = %s",
        ("analytics", view.name),
    ).fetchone()
    if row is None:
        return None
    match = _VERSION.search(row[0] or "")
    return ViewState(match.group(1) if match else None, row[1])


def _create(conn, view: DashboardView, replace: bool) -> None:
    if replace:
        # No cascade: an analyst's view on top should stop the swap loudly, not vanish with it.
        conn.execute(sql.SQL("drop materialized view {}").format(view.relation))
    conn.execute(
        sql.SQL("create materialized view {} as {} with no data").format(
            view.relation, sql.SQL(view.query)
        )
    )
    names = [column.name for column in table_columns(conn, SCHEMA, view.name)]
    declared = [column for column, _ in view.columns]
    if names != declared:
        raise dg.Failure(f"analytics.{view.name} has columns {names}, views.py declares {declared}")
    conn.execute(
        sql.SQL("create unique index {} on {} ({})").format(
            sql.Identifier(f"{view.name}_key"),
            view.relation,
            sql.SQL(", ").join(map(sql.Identifier, view.key)),
        )
    )
    # COMMENT takes no bound parameters; the texts are code constants, quoted as literals.
    conn.execute(
        sql.SQL("comment on materialized view {} is {}").format(
            view.relation, sql.Literal(view.comment)
        )
    )
    for column, comment in view.columns:
        conn.execute(
            sql.SQL("comment on column {}.{} is {}").format(
                view.relation, sql.Identifier(column), sql.Literal(comment)
            )
        )


def refresh_view(conn, view: DashboardView) -> str:
    """Bring the view up to date; return the refresh mode used ("plain" or "concurrent").

    Serialised per view (`lock_relation`), so two runs cannot both create it.
    """
    with conn.transaction():
        lock_relation(conn, f"{SCHEMA}.{view.name}")
        state = view_state(conn, view)
        if state is not None and state.version == view.version and state.populated:
            conn.execute(
                sql.SQL("refresh materialized view concurrently {}").format(view.relation)
            )
            return "concurrent"
        if state is None or state.version != view.version:
            _create(conn, view, replace=state is not None)
        conn.execute(sql.SQL("refresh materialized view {}").format(view.relation))
        return "plain"


def chart_frame(conn, view: DashboardView) -> pd.DataFrame:
    cursor = conn.execute(view.chart_query)
    return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])


def write_chart(name: str, png: bytes) -> dict:
    """Publish the chart under the reports directory; return its metadata entries."""
    path = report.write_atomic(report.reports_dir() / f"{name}.png", png)
    encoded = base64.b64encode(png).decode()
    return {
        "chart_path": dg.MetadataValue.path(str(path)),
        "chart": dg.MetadataValue.md(f"![chart](data:image/png;base64,{encoded})"),
    }


def materialize_view(context: dg.AssetExecutionContext, postgres: PostgresResource,
                     view: DashboardView) -> dg.MaterializeResult:
    with postgres.connect() as conn:
        with timed() as timing:
            mode = refresh_view(conn, view)
        rows = conn.execute(sql.SQL("select count(*) from {}").format(view.relation)).fetchone()[0]
        sample = preview(
            conn,
            sql.SQL("select * from {} order by {}").format(
                view.relation, sql.SQL(view.preview_order)
            ),
            {},
        )
        schema = table_schema(conn, SCHEMA, view.name)
        frame = chart_frame(conn, view)
    context.log.info(f"analytics.{view.name}: {mode} refresh, {rows} rows")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "dagster/column_schema": schema,
            "preview": sample,
            "refresh_mode": mode,
            "duration_s": timing["duration_s"],
            "definition_version": view.version,
            **write_chart(view.name, charts.render(view.name, frame)),
        }
    )


def _view_asset(view: DashboardView) -> dg.AssetsDefinition:
    @dg.asset(
        key=keys.dashboard_key(view.name),
        deps=list(view.deps),
        group_name=keys.DASHBOARDS,
        kinds={"postgres"},
        owners=keys.ML_PLATFORM,
        code_version=view.version,
        description=f"{view.description} Materialized view analytics.{view.name}, refreshed "
        f"concurrently; one row per ({', '.join(view.key)}).",
    )
    def _asset(context: dg.AssetExecutionContext, postgres: PostgresResource):
        return materialize_view(context, postgres, view)

    return _asset


def _title(view: DashboardView) -> str:
    return view.name.replace("_", " ").capitalize()


def _refreshed_at(context: dg.AssetExecutionContext, view: DashboardView) -> str | None:
    event = context.instance.get_latest_materialization_event(keys.dashboard_key(view.name))
    if event is None:
        return None
    return datetime.fromtimestamp(event.timestamp, UTC).isoformat(timespec="seconds")


def _row_count(conn, view: DashboardView) -> int | None:
    if view_state(conn, view) is None:
        return None
    return conn.execute(sql.SQL("select count(*) from {}").format(view.relation)).fetchone()[0]


@dg.asset(
    key=keys.REPORT_KEY,
    deps=[keys.dashboard_key(view.name) for view in DASHBOARD_VIEWS],
    group_name=keys.DASHBOARDS,
    kinds={"html"},
    owners=keys.ML_PLATFORM,
    description="A static page, $PLATFORM_HOME/reports/index.html, with the dashboard "
    "charts, each view's row count and when it was last refreshed.",
)
def dashboard_report(context: dg.AssetExecutionContext, postgres: PostgresResource):
    directory = report.reports_dir()
    with postgres.connect() as conn:
        sections = [
            report.Section(
                name=view.name,
                title=_title(view),
                rows=_row_count(conn, view),
                refreshed_at=_refreshed_at(context, view),
                chart=f"{view.name}.png" if (directory / f"{view.name}.png").exists() else None,
            )
            for view in DASHBOARD_VIEWS
        ]
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    path = report.write_index(sections, generated_at)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "charts": sum(section.chart is not None for section in sections),
            "row_counts": dg.MetadataValue.json({s.name: s.rows for s in sections}),
            "generated_at": generated_at,
        }
    )


dashboard_assets = [*(_view_asset(view) for view in DASHBOARD_VIEWS), dashboard_report]
