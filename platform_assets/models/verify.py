"""`artifact_verifies`: a model version's artifact loads under its recorded sha256 and reproduces
its recorded test metric.

The result is returned to Dagster as the model asset's check and recorded in
`quality.check_results` under the version's id, because the gate requires a passed result on
every path to production: the weekly job, the promotion asset alone, or `models promote`.
"""

import dagster as dg
import psycopg

from platform_assets import keys
from platform_assets.models import artifact
from platform_assets.models.registry import ModelRow
from platform_assets.models.specs import ModelSpec
from platform_assets.models.train import Dataset, evaluate
from platform_assets.quality import record_check

ARTIFACT_VERIFIES = "artifact_verifies"


def verify_artifact(
    conn: psycopg.Connection, spec: ModelSpec, row: ModelRow, dataset: Dataset, run_id: str
) -> dg.AssetCheckResult:
    """Load the artifact, score the dataset's test split, compare; record and return the result."""
    metric = spec.primary_metric
    try:
        bundle = artifact.load(row.artifact_path, row.artifact_sha256)
        test = dataset.frame[dataset.frame["split"] == "test"]
        observed = evaluate(spec, bundle, test).get(metric)
        recorded = row.test_metrics.get(metric)
        passed = observed == recorded
        meta = {"metric": metric, "recorded": recorded, "reproduced": observed}
    except (artifact.ArtifactHashMismatch, FileNotFoundError) as error:
        passed, meta = False, {"error": str(error)}
    result = dg.AssetCheckResult(
        check_name=ARTIFACT_VERIFIES,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=meta,
    )
    record_check(conn, keys.model_key(spec.name), result, run_id, data_version=str(row.id))
    return result
