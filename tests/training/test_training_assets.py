"""The training assets in Dagster: graph shape, config, metadata, and the same data version."""

import dagster as dg
from test_dataset_build import write_history

from platform_assets.resources.artifacts import ArtifactStore
from platform_assets.training.assets import training_assets

CHURN_KEY = dg.AssetKey(["training", "churn_risk"])


def test_one_asset_per_task_reading_its_feature_views():
    specs = {spec.key: spec for asset in training_assets for spec in asset.specs}
    assert {key.to_user_string() for key in specs} == {
        "training/churn_risk",
        "training/maintenance_prediction",
        "training/demand_forecast",
    }
    assert {dep.asset_key for dep in specs[CHURN_KEY].deps} == {
        dg.AssetKey(["features", "customer_daily"]),
        dg.AssetKey(["features", "customer_topics_daily"]),
    }
    for spec in specs.values():
        assert spec.group_name == "training"
        assert set(spec.kinds) == {"postgres", "parquet"}
        assert spec.owners == ["team:ml-platform"]
        assert spec.partitions_def is None


def _materialize(postgres, tmp_path, config: dict | None = None):
    churn = [a for a in training_assets if a.key == CHURN_KEY]
    return dg.materialize(
        churn,
        resources={"postgres": postgres, "artifacts": ArtifactStore(root=str(tmp_path))},
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"ops": {"training__churn_risk": {"config": config}}} if config else None,
        raise_on_error=False,
    )


def test_materialize_reports_the_build(conn, postgres, tmp_path):
    write_history(conn)
    result = _materialize(postgres, tmp_path)
    assert result.success
    event = result.asset_materializations_for_node("training__churn_risk")[0]
    meta = event.metadata
    version = meta["version"].value
    count = conn.execute("select count(*) from training.churn_risk").fetchone()[0]
    assert meta["dagster/row_count"].value == count
    assert sum(meta["split_counts"].value.values()) == count
    assert meta["parquet_path"].value.endswith(f"datasets/churn_risk/{version}.parquet")
    assert meta["window"].value == "2026-01-02..2026-04-14"
    assert meta["horizon"].value == "30 days"
    assert meta["purge"].value["enabled"] is True
    columns = [c.name for c in meta["dagster/column_schema"].schema.columns]
    assert columns[:3] == ["customer_id", "label_ts", "label"]
    assert columns[-1] == "split"
    assert "customer_daily__feature_ts" in columns
    assert "preview" in meta and "label_balance" in meta and "duration_s" in meta
    assert event.tags["dagster/data_version"] == version


def test_config_chooses_the_window(conn, postgres, tmp_path):
    write_history(conn)
    result = _materialize(
        postgres, tmp_path, {"first_label_date": "2026-03-06", "last_label_date": "2026-03-20"}
    )
    # Three as-of dates: one each for train, valid and test; the 30-day horizon purges the
    # first two (their windows reach into the next split), so only the test date keeps rows:
    # the dataset is published, and its blocking has_training_rows check stops the training.
    assert not result.success
    failed = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed == ["has_training_rows"]
    meta = result.asset_materializations_for_node("training__churn_risk")[0].metadata
    assert meta["window"].value == "2026-03-06..2026-03-20"
    purge = meta["purge"].value
    assert (purge["valid_from"], purge["test_from"]) == (
        "2026-03-13T12:00:00+00:00",
        "2026-03-20T12:00:00+00:00",
    )
    assert purge["rows_purged"]["train"] > 0 and purge["rows_purged"]["valid"] > 0
    dates = conn.execute(
        "select distinct (label_ts at time zone 'utc')::date::text from training.churn_risk"
        " order by 1"
    ).fetchall()
    assert [d for (d,) in dates] == ["2026-03-20"]
