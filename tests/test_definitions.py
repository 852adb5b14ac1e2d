"""The whole code location loads, and its graph has the shape the docs promise."""

import dagster as dg

from platform_assets.definitions import defs
from platform_assets.ingest.tables import SOURCE_TABLES


def test_definitions_load_and_ingest_graph_is_complete():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for source in SOURCE_TABLES:
        assert f"raw/{source.name}" in keys
        assert f"staging/{source.name}" in keys
        staging = graph.get(dg.AssetKey(["staging", source.name]))
        parents = {key.to_user_string() for key in staging.parent_keys}
        expected = {f"raw/{source.name}"} | {f"staging/{p}" for p in source.parents.values()}
        assert parents == expected
        assert staging.group_name == "ingest"
        assert staging.partitions_def is not None


def test_nightly_refresh_job_exists_and_is_partitioned():
    job = defs.resolve_job_def("nightly_refresh")
    assert job.partitions_def is not None
    assert job.executor_def.name == "in_process"


def test_feature_views_read_staging_and_are_in_the_nightly_job():
    from platform_assets.features.views import FEATURE_VIEWS

    graph = defs.resolve_asset_graph()
    job = defs.resolve_job_def("nightly_refresh")
    in_job = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    for view in FEATURE_VIEWS:
        node = graph.get(dg.AssetKey(["features", view.name]))
        assert node.group_name == "features"
        assert {k.to_user_string() for k in node.parent_keys} == {
            t.replace(".", "/") for t in view.source_tables
        }
        assert f"features/{view.name}" in in_job
