"""Champion against challenger on live outcomes: the same entities and days, scored by both.

A test split is a few weeks of the past; live outcomes are the evidence that keeps coming. Each
pair is one entity-day that production (role champion) and a shadow challenger both scored and
whose outcome is now known, so both models are measured on exactly the same rows. The primary
live metric is AUC for classifiers (higher is better) and mean absolute error for regression
(lower is better: the test metric `mae_vs_naive` needs a naive forecast that predictions do not
keep, and on the same rows comparing MAEs compares their ratios to it too).

The 95% confidence interval of the difference is a cluster bootstrap over entities: an entity's
predictions on consecutive days share most of their features and their outcome, so resampling
rows would pretend to more evidence than there is.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg

from platform_assets.db.sql import load_sql
from platform_assets.models.registry import ModelRow
from platform_assets.models.specs import ModelSpec

RESAMPLES = 1000
SEED = 7


@dataclass(frozen=True)
class Comparison:
    metric: str  # auc or mae
    higher_is_better: bool
    pairs: int  # entity-days with both predictions and a known outcome
    entities: int
    challenger: float | None
    champion: float | None
    low: float | None  # 95% CI of challenger - champion
    high: float | None

    @property
    def difference(self) -> float | None:
        if self.challenger is None or self.champion is None:
            return None
        return self.challenger - self.champion

    def as_json(self) -> dict:
        rounded = {k: (None if v is None else round(v, 6)) for k, v in (
            ("challenger", self.challenger), ("champion", self.champion),
            ("difference", self.difference), ("ci_low", self.low), ("ci_high", self.high))}
        return {"metric": self.metric, "pairs": self.pairs, "entities": self.entities} | rounded


def live_pairs(
    conn: psycopg.Connection, challenger: ModelRow, champion: ModelRow, days: int | None = None
) -> pd.DataFrame:
    cursor = conn.execute(
        load_sql("models/live_pairs"),
        {"challenger_id": challenger.id, "champion_id": champion.id, "days": days},
    )
    return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])


def compare(spec: ModelSpec, pairs: pd.DataFrame, resamples: int = RESAMPLES) -> Comparison:
    metric = "auc" if spec.classifier else "mae"
    n = len(pairs)
    if n == 0:
        return Comparison(metric, spec.classifier, 0, 0, None, None, None, None)
    entity = pd.factorize(pairs["entity_id"])[0]
    label = pairs["label"].to_numpy(float)
    scores = (pairs["challenger_score"].to_numpy(float), pairs["champion_score"].to_numpy(float))
    measure = _auc_measure(scores, label) if spec.classifier else _mae_measure(scores, label)
    ones = np.ones(n)
    challenger, champion = measure(ones)
    low = high = None
    if challenger is not None and champion is not None and resamples:
        k = entity.max() + 1
        draws = np.random.default_rng(SEED).multinomial(k, np.full(k, 1 / k), size=resamples)
        differences = [d for d in (_difference(measure(draw[entity])) for draw in draws)
                       if d is not None]
        if differences:
            low, high = (float(q) for q in np.quantile(differences, [0.025, 0.975]))
    return Comparison(metric, spec.classifier, n, int(entity.max() + 1), challenger, champion,
                      low, high)


def not_worse(spec: ModelSpec, comparison: Comparison) -> bool:
    """The gate's reading of live outcomes: AUC at most `tolerance` below production's; MAE at
    most `tolerance` (as a share) above production's."""
    mine, theirs = comparison.challenger, comparison.champion
    if comparison.higher_is_better:
        return mine + spec.tolerance >= theirs
    return mine <= theirs * (1 + spec.tolerance)


def _difference(pair: tuple[float | None, float | None]) -> float | None:
    return None if pair[0] is None or pair[1] is None else pair[0] - pair[1]


def _auc_measure(scores, label):
    """Weighted AUC (Mann-Whitney, ties counted one half) of both score vectors; the rank
    structure is computed once, each resample only re-weights it."""
    prepared = [np.unique(s, return_inverse=True)[1] for s in scores]

    def auc(inverse, weights) -> float | None:
        positives = np.bincount(inverse, weights=weights * label)
        negatives = np.bincount(inverse, weights=weights * (1 - label))
        total = positives.sum() * negatives.sum()
        if total == 0:
            return None
        below = np.cumsum(negatives) - negatives
        return float((positives * (below + 0.5 * negatives)).sum() / total)

    return lambda weights: tuple(auc(inverse, weights) for inverse in prepared)


def _mae_measure(scores, label):
    errors = [np.abs(s - label) for s in scores]

    def mae(weights) -> tuple[float | None, float | None]:
        total = weights.sum()
        return tuple(None if total == 0 else float((e * weights).sum() / total) for e in errors)

    return mae
