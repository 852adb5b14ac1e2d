"""The blocking checks of a training dataset: they pass on clean data and catch leakage."""

import dagster as dg
from test_dataset_build import write_history

from platform_assets.resources.artifacts import ArtifactStore
from platform_assets.training.assets import training_assets

CHURN_KEY = dg.AssetKey(["training", "churn_risk"])


@dg.asset(deps=[CHURN_KEY])
def model_candidate() -> None:
    """Stands for anything trained on the dataset: it must not run after a failed check."""


def materialize(postgres, tmp_path):
    churn = [a for a in training_assets if a.key == CHURN_KEY]
    return dg.materialize(
        [*churn, model_candidate],
        resources={"postgres": postgres, "artifacts": ArtifactStore(root=str(tmp_path))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def evaluations(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_clean_dataset_passes_every_blocking_check(conn, postgres, tmp_path):
    write_history(conn)
    result = materialize(postgres, tmp_path)
    assert result.success
    assert evaluations(result) == {
        "has_rows": True, "has_training_rows": True, "keys_unique": True, "not_null": True,
        "no_leakage": True, "split_purged": True, "label_balance": True,
    }
    assert result.asset_materializations_for_node("model_candidate")
    recorded = conn.execute(
        "select count(*) from quality.check_results where asset_key = 'training/churn_risk'"
        " and passed"
    ).fetchone()[0]
    assert recorded == 7


def test_a_leaking_feature_view_fails_the_dataset_and_blocks_downstream(conn, postgres, tmp_path):
    write_history(conn)
    # The view now claims rows are valid at midnight that fold in data from 18:00 that day: a
    # label at noon would learn from the afternoon.
    conn.execute(
        "update features.customer_daily set source_max_ts = feature_ts + interval '18 hours'"
    )
    result = materialize(postgres, tmp_path)
    assert not result.success
    assert evaluations(result)["no_leakage"] is False
    assert not result.asset_materializations_for_node("model_candidate")
    failed = conn.execute(
        "select observed from quality.check_results where asset_key = 'training/churn_risk'"
        " and check_name = 'no_leakage' and not passed"
    ).fetchone()
    assert failed is not None
