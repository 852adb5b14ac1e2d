"""Model assets, per task: `models/<task>` trains and registers a candidate, and
`models/<task>_promotion` runs the gate on it.

The promotion is its own asset so that the blocking checks in front of it (the dataset's, and
the candidate's `artifact_verifies`) stop it: a model promoted inside the training step would
escape them. Both read the exact versions from the upstream materialization, and the gate reads
recorded check results, so they decide the same in one run or across runs.
"""

import dataclasses
import time

import dagster as dg
from pydantic import Field

from platform_assets import keys
from platform_assets.models import artifact, gate, registry
from platform_assets.models.actor import run_actor
from platform_assets.models.specs import MODEL_SPECS, ModelSpec
from platform_assets.models.train import fingerprint, fit, load_dataset
from platform_assets.models.verify import ARTIFACT_VERIFIES, verify_artifact
from platform_assets.resources import ArtifactStore, PostgresResource


def upstream_value(context: dg.AssetExecutionContext, key: dg.AssetKey, name: str) -> str:
    """A metadata value of `key`'s latest materialization (the version it published)."""
    event = context.instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        raise dg.Failure(f"{key.to_user_string()} has never been materialized: run it first")
    value = event.asset_materialization.metadata.get(name)
    if value is None:
        raise dg.Failure(f"{key.to_user_string()}'s latest materialization has no {name!r}")
    return str(value.value)


def _model_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    key = keys.model_key(spec.name)
    dataset_key = keys.dataset_key(spec.name)

    @dg.asset(
        key=key,
        deps=[dataset_key],
        group_name=keys.MODELS,
        kinds={"scikitlearn", "postgres"},
        owners=keys.ML_PLATFORM,
        description=f"A {spec.model_type} for {spec.name}, trained on the latest "
        f"training/{spec.name} version and registered in ml.models as a staging candidate.",
        check_specs=[
            dg.AssetCheckSpec(
                ARTIFACT_VERIFIES, asset=key, blocking=True,
                description="The artifact loads under its recorded sha256 and reproduces the "
                "recorded test metric.",
            )
        ],
    )
    def _asset(
        context: dg.AssetExecutionContext, postgres: PostgresResource, artifacts: ArtifactStore
    ) -> dg.MaterializeResult:
        version = upstream_value(context, dataset_key, "version")
        run_id, actor = context.run.run_id, run_actor(context)
        started = time.perf_counter()
        with postgres.connect() as conn:
            try:
                dataset = load_dataset(conn, spec.name, version)
                row = registry.by_fingerprint(conn, spec.name, version, fingerprint(spec))
                new = row is None
                if new:
                    trained = fit(spec, dataset)
                    saved = artifact.save(artifacts, trained.bundle)
                    row, new = registry.register(
                        conn, registry.version_values(spec, trained, saved, dataset, run_id)
                    )
            except Exception as error:
                registry.audit(conn, "training", None, actor, run_id,
                               {"model_name": spec.name, "dataset_version": version},
                               {"error": f"{type(error).__name__}: {error}"}, status="failure",
                               duration_ms=round((time.perf_counter() - started) * 1000))
                raise
            registry.audit(
                conn, "training", row.id, actor, run_id,
                {"model_name": spec.name, "dataset_version": version,
                 "hyperparameters": spec.hyperparameters},
                {"model_version": row.model_version, "new_version": new,
                 "test_metrics": row.test_metrics},
                duration_ms=round((time.perf_counter() - started) * 1000),
            )
            check = verify_artifact(conn, spec, row, dataset, run_id)
            # The drift reference (what the nightly PSI compares with) is built with the
            # version, in the weekly run: built by the first night after it instead, it cost
            # that night minutes at scale M (bench platform_load).
            # Imported here: monitoring reads models (the registry, artifacts, scoring), so a
            # module-level import back would tie the two domains in a cycle.
            from platform_assets.monitoring.drift_stats import ensure_reference

            if problem := ensure_reference(conn, spec, row, run_id):
                context.log.warning(problem)
        test = row.test_metrics
        context.log.info(
            f"{row.label} ({'new' if new else 'already trained on this dataset version'}): test "
            f"{spec.primary_metric}={test.get(spec.primary_metric)} on {test.get('rows')} rows"
        )
        return dg.MaterializeResult(
            check_results=[check],
            data_version=dg.DataVersion(row.artifact_sha256[:16]),
            metadata={
                "model_id": str(row.id),
                "model_version": row.model_version,
                "new_version": new,
                "status": row.deployment_status,
                "dataset_version": version,
                f"test_{spec.primary_metric}": test.get(spec.primary_metric),
                "test_metrics": dg.MetadataValue.json(test),
                "validation_metrics": dg.MetadataValue.json(row.validation_metrics),
                "training_metrics": dg.MetadataValue.json(row.training_metrics),
                "hyperparameters": dg.MetadataValue.json(spec.hyperparameters),
                "feature_views": dg.MetadataValue.json(row.feature_set_version),
                "features": len(row.model_config["features"]),
                "artifact_path": dg.MetadataValue.path(row.artifact_path),
                "artifact_sha256": row.artifact_sha256,
                "artifact_size_bytes": row.artifact_size_bytes,
                "train_seconds": row.model_config["train_seconds"],
            },
        )

    return _asset


class GateConfig(dg.Config):
    """Overrides of the gate's thresholds for one run (unset: the model spec's)."""

    floor: float | None = Field(default=None, description="Floor of the primary test metric.")
    tolerance: float | None = Field(
        default=None, description="How much worse than production the candidate may be."
    )
    psi_threshold: float | None = Field(
        default=None, description="Per-feature PSI above which drift blocks."
    )
    min_live_outcomes: int | None = Field(
        default=None, description="Paired live outcomes (the candidate's and production's "
        "predictions of the same entity-days) from which the comparison also uses them.",
    )

    def overrides(self) -> dict:
        """The thresholds set for this run: recorded with the decision and in the audit log."""
        return {k: v for k, v in self.model_dump().items() if v is not None}

    def apply(self, spec: ModelSpec) -> ModelSpec:
        return dataclasses.replace(spec, **self.overrides())


def _promotion_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    upstream = keys.model_key(spec.name)

    @dg.asset(
        key=keys.promotion_key(spec.name),
        deps=[upstream],
        group_name=keys.MODELS,
        kinds={"postgres"},
        owners=keys.ML_PLATFORM,
        description=f"The promotion gate for {spec.name}: promotes the candidate to production "
        "when its lineage's blocking checks passed, its test metric clears the floor, it is not "
        "worse than production on the same rows and features have not drifted; records the "
        "decision in ml.promotion_decisions either way.",
    )
    def _asset(
        context: dg.AssetExecutionContext, config: GateConfig, postgres: PostgresResource
    ) -> dg.MaterializeResult:
        model_id = upstream_value(context, upstream, "model_id")
        with postgres.connect() as conn:
            candidate = registry.get(conn, model_id)
            if candidate.deployment_status == "production":
                context.log.info(f"{candidate.label} is already in production: nothing to decide")
                return dg.MaterializeResult(
                    metadata={"decision": "unchanged", "candidate": candidate.label,
                              "failed_rules": dg.MetadataValue.json([]),
                              "production": candidate.label}
                )
            decision = gate.decide(
                conn, config.apply(spec), candidate, run_actor(context), context.run.run_id,
                overrides=config.overrides(),
            )
            current = registry.production(conn, spec.name)
        log = context.log.info if decision.promoted else context.log.warning
        log(decision.summary())
        return dg.MaterializeResult(
            metadata={
                "decision": "promoted" if decision.promoted else "blocked",
                "candidate": candidate.label,
                "failed_rules": dg.MetadataValue.json(decision.failed),
                "rules": dg.MetadataValue.json(decision.reasons()),
                "production": current.label if current else "none",
                "gate_seconds": decision.seconds,
            }
        )

    return _asset


model_assets = [_model_asset(spec) for spec in MODEL_SPECS.values()]
promotion_assets = [_promotion_asset(spec) for spec in MODEL_SPECS.values()]
