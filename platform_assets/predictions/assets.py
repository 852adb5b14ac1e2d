"""`predictions/<task>`: the production model's daily scores, and the outcomes that became known.

One asset per model spec, in the nightly job after the feature views; the scoring itself is
`batch.score_range` (SQL in `sql/predictions/`).
"""

import dagster as dg

from platform_assets import keys
from platform_assets.models import registry
from platform_assets.models.specs import MODEL_SPECS, ModelSpec
from platform_assets.partitions import daily_asset
from platform_assets.predictions import batch
from platform_assets.resources import PostgresResource


def _prediction_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    @daily_asset(
        key=keys.prediction_key(spec.name),
        deps=[keys.feature_key(view.name) for view in spec.task.views],
        group_name=keys.PREDICTIONS,
        kinds={"scikitlearn", "postgres"},
        owners=keys.ML_PLATFORM,
        output_required=False,
        description=f"{spec.name} scores of each day's entities by the production model (role "
        "champion) and its shadow challengers, in ml.predictions (as of noon UTC of the next "
        "day, with that day's features); fills in "
        "the outcomes of earlier predictions once their horizon has been observed. Skipped "
        "while the task has no production model.",
    )
    def _asset(context: dg.AssetExecutionContext, postgres: PostgresResource):
        days = context.partition_key_range
        with postgres.connect() as conn:
            model = registry.production(conn, spec.name)
            if model is None:
                context.log.warning(
                    f"{spec.name} has no production model yet: nothing scored for "
                    f"{days.start}..{days.end} (run weekly_training, or promote a version with "
                    "platform-assets models promote)"
                )
                return
            challengers = registry.challengers(conn, spec.name, spec.challengers)
            try:
                scored = batch.score_range(conn, spec, model, days.start, days.end, challengers)
            except batch.FeatureSkew as error:
                raise dg.Failure(str(error)) from None
        shadows = "".join(f"; challenger {label} {rows}" for label, rows in
                          scored.challengers.items())
        context.log.info(
            f"{model.label} scored {scored.rows} {spec.task.entity_key}s over {scored.days} "
            f"day(s){shadows}; {scored.outcomes_filled} earlier predictions got their outcome"
        )
        for label, reason in scored.skipped.items():
            context.log.warning(f"challenger {label} not scored: {reason}")
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": scored.rows,
                "model": model.label,
                "model_id": str(model.id),
                "days": scored.days,
                "mean_score": scored.mean_score,
                "inference_ms": scored.inference_ms,
                "explain_ms": scored.explain_ms,
                "outcomes_filled": scored.outcomes_filled,
                "challengers": dg.MetadataValue.json(scored.challengers),
                "challengers_skipped": dg.MetadataValue.json(scored.skipped),
            }
        )

    return _asset


prediction_assets = [_prediction_asset(spec) for spec in MODEL_SPECS.values()]
