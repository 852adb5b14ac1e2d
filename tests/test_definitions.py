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
    assert job.executor_def.name == "multi_or_in_process_executor"  # in-process unless configured
    assert dg.validate_run_config(job, {"execution": {"config": {"multiprocess": {}}}})


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


def test_model_graph_gates_promotion_behind_the_candidate_and_its_checks():
    graph = defs.resolve_asset_graph()
    weekly = defs.resolve_job_def("weekly_training")
    nightly = defs.resolve_job_def("nightly_refresh")
    in_weekly = {k.to_user_string() for k in weekly.asset_layer.executable_asset_keys}
    in_nightly = {k.to_user_string() for k in nightly.asset_layer.executable_asset_keys}
    for task in ("churn_risk", "maintenance_prediction", "demand_forecast"):
        model = graph.get(dg.AssetKey(["models", task]))
        promotion = graph.get(dg.AssetKey(["models", f"{task}_promotion"]))
        predictions = graph.get(dg.AssetKey(["predictions", task]))
        assert {k.to_user_string() for k in model.parent_keys} == {f"training/{task}"}
        assert {k.to_user_string() for k in promotion.parent_keys} == {f"models/{task}"}
        assert model.group_name == promotion.group_name == "models"
        assert predictions.group_name == "predictions" and predictions.partitions_def is not None
        checks = {key.name: graph.get(key).blocking for key in model.check_keys}
        assert checks == {"artifact_verifies": True}
        assert {f"training/{task}", f"models/{task}", f"models/{task}_promotion"} <= in_weekly
        assert f"predictions/{task}" in in_nightly and f"predictions/{task}" not in in_weekly
