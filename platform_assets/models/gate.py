"""The promotion gate: the rules a candidate must pass to replace production.

0. `promotable`: the candidate was not rolled back nor denied (only a forced, reasoned
   promotion brings such a version back), and `artifact_verified`: its artifact's
   `artifact_verifies` check passed, as recorded in `quality.check_results`, whichever path
   (the weekly job, the promotion asset alone, `models promote`) asks;
1. `lineage_checks`: evidence keyed on data. The dataset's blocking checks passed on its version
   (a hash of its rows), and every blocking check of every feature view passed on every day the
   dataset read, on exactly the rows read (`training.dataset_inputs` holds each day's
   fingerprint, `quality.view_day_checks` each check's outcome on each fingerprint). A day
   without such a result is named ("unchecked: bin_daily 2026-06-04"); days the dataset did not
   read, and results on rows written after the build, do not count, so the gate decides the
   same a week later;
2. `metric_floor`: the primary test metric clears the spec's floor;
3. `not_worse_than_production`: on the candidate's own test rows, the candidate's primary
   metric is not worse than production's by more than the spec's tolerance; and once the
   candidate has scored `min_live_outcomes` entity-days beside production as a shadow
   challenger, not worse on those live outcomes either (`compare`);
4. `feature_drift`: no feature's PSI between the dataset's latest labelled rows (its test split)
   and the latest scoring rows on the same weekdays exceeds the spec's threshold.

Every rule is evaluated (not only up to the first failure) so a decision lists all that failed,
each with its observed values and threshold. The rules are evaluated under the model name's
registry lock, so two promotions of one name queue and the second is compared with the
production version the first left, not with the one both started from.
"""

import calendar
import json
import time
from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd
import psycopg

from platform_assets import keys
from platform_assets.db.sql import load_sql
from platform_assets.features.checks import checked_view
from platform_assets.models import artifact, compare, registry
from platform_assets.models.drift import bins_for, feature_psi
from platform_assets.models.frames import design
from platform_assets.models.registry import ModelRow
from platform_assets.models.scoring import latest_as_of, scoring_frame
from platform_assets.models.specs import ModelSpec
from platform_assets.models.train import evaluate, load_dataset
from platform_assets.training.versions import trained_variants

DRIFT_DATES = 2  # scoring dates (a week apart) whose rows are compared with training


@dataclass(frozen=True)
class Rule:
    rule: str
    passed: bool
    observed: dict
    threshold: object = None

    def as_json(self) -> dict:
        return {"rule": self.rule, "passed": self.passed, "observed": self.observed,
                "threshold": self.threshold}


@dataclass(frozen=True)
class Decision:
    candidate: ModelRow
    rules: list[Rule]
    forced: str | None = None  # the reason of a forced promotion
    seconds: float = field(default=0.0, compare=False)

    @property
    def promoted(self) -> bool:
        return self.forced is not None or all(r.passed for r in self.rules)

    @property
    def failed(self) -> list[str]:
        return [r.rule for r in self.rules if not r.passed]

    def reasons(self) -> list[dict]:
        reasons = [r.as_json() for r in self.rules]
        if self.forced is not None:
            reasons.append({"rule": "forced", "passed": True, "observed": {"reason": self.forced},
                            "threshold": None})
        return reasons

    def summary(self) -> str:
        if self.forced is not None:
            return f"{self.candidate.label}: promoted by force ({self.forced})"
        if self.promoted:
            return f"{self.candidate.label}: promoted, all rules passed"
        return f"{self.candidate.label}: blocked by {', '.join(self.failed)}"


def evaluate_rules(conn: psycopg.Connection, spec: ModelSpec, candidate: ModelRow) -> list[Rule]:
    status, verified = status_rule(candidate), artifact_rule(conn, spec, candidate)
    if not verified.passed:  # an unverified artifact is not loaded, let alone scored
        return [status, verified]
    dataset = load_dataset(conn, spec.name, candidate.training_data_version)
    bundle = artifact.load(candidate.artifact_path, candidate.artifact_sha256)
    return [
        status,
        verified,
        lineage_rule(conn, spec, candidate),
        floor_rule(spec, candidate),
        production_rule(conn, spec, candidate, dataset),
        drift_rule(conn, spec, bundle, dataset),
    ]


def status_rule(candidate: ModelRow) -> Rule:
    status = candidate.deployment_status
    return Rule(
        "promotable", status not in registry.REFUSED,
        {"status": status} | ({"hint": f"{candidate.label} was {status.replace('_', ' ')}: "
                               "promote it again only with --force --reason"}
                              if status in registry.REFUSED else {}),
        "not rolled_back nor denied",
    )


def artifact_rule(conn: psycopg.Connection, spec: ModelSpec, candidate: ModelRow) -> Rule:
    row = conn.execute(
        load_sql("models/artifact_check"),
        {"asset_key": keys.model_key(spec.name).to_user_string(), "model_id": str(candidate.id)},
    ).fetchone()
    if row is None:
        return Rule("artifact_verified", False,
                    {"error": f"no artifact_verifies result recorded for {candidate.label}: "
                              f"materialize {keys.model_key(spec.name).to_user_string()}"},
                    "a passed artifact_verifies")
    passed, observed, run_id, checked_at = row
    return Rule("artifact_verified", passed,
                {"run_id": run_id, "checked_at": checked_at.isoformat(), **observed},
                "a passed artifact_verifies")


def lineage_rule(conn: psycopg.Connection, spec: ModelSpec, candidate: ModelRow) -> Rule:
    """The dataset's blocking checks on its version, and every blocking check of every view on
    every day the dataset read, on exactly the rows read (their fingerprints): evidence keyed
    by data, so a re-materialization after the build or results outside the window change
    nothing, and a day without evidence is named."""
    dataset_asset = keys.dataset_key(spec.name).to_user_string()
    version = candidate.training_data_version
    dataset_rows = conn.execute(
        load_sql("models/lineage_checks"),
        {"dataset_asset": dataset_asset, "dataset_version": version},
    ).fetchall()
    failed = [
        {"asset": dataset_asset, "check": c, "observed": o, "run_id": r}
        for c, passed, o, r in dataset_rows if not passed
    ]
    unchecked = [] if dataset_rows else [f"unchecked: {dataset_asset} version {version}"]
    blocking = {view.name: [c.name for c in checked_view(view).checks if c.blocking]
                for view in spec.task.views}
    day_rows = conn.execute(
        load_sql("models/lineage_days"),
        {"task": spec.name, "version": version, "checks": json.dumps(blocking)},
    ).fetchall()
    missing: dict[str, tuple] = {}
    for view, check, _, n_unchecked, first_unchecked, n_failed, first_failed, run_id in day_rows:
        if n_failed:
            failed.append({"asset": keys.feature_key(view).to_user_string(), "check": check,
                           "failed_days": n_failed, "first_failed_day": str(first_failed),
                           "run_id": run_id})
        if n_unchecked and (view not in missing or first_unchecked < missing[view][0]):
            missing[view] = (first_unchecked, n_unchecked)
    unchecked += [f"unchecked: {view} {day}" + (f" (and {n - 1} more days)" if n > 1 else "")
                  for view, (day, n) in sorted(missing.items())]
    observed = {
        "dataset_checks": len(dataset_rows),
        "view_days": {view: max((r[2] for r in day_rows if r[0] == view), default=0)
                      for view in blocking},
        "failed": failed,
        "unchecked": unchecked,
        "dataset_version": version,
        "feature_view_versions": candidate.feature_set_version,
    }
    return Rule("lineage_checks", not failed and not unchecked, observed,
                "every blocking check passed on the rows trained on")


def floor_rule(spec: ModelSpec, candidate: ModelRow) -> Rule:
    value = candidate.test_metrics.get(spec.primary_metric)
    passed = value is not None and spec.better(value, spec.floor)
    relation = ">=" if spec.higher_is_better else "<="
    return Rule("metric_floor", passed, {spec.primary_metric: value},
                f"{spec.primary_metric} {relation} {spec.floor}")


def production_rule(conn, spec: ModelSpec, candidate: ModelRow, dataset) -> Rule:
    """On the candidate's test rows, and once the candidate has scored at least
    `spec.min_live_outcomes` entity-days in production's shadow whose outcome is known, on those
    live outcomes too: the candidate must not be worse than production on either."""
    current = registry.production(conn, spec.name)
    metric = spec.primary_metric
    if current is None or current.id == candidate.id:
        return Rule("not_worse_than_production", True, {"production": None}, spec.tolerance)
    test = dataset.frame[dataset.frame["split"] == "test"]
    mine = candidate.test_metrics.get(metric)
    theirs_bundle = artifact.load(current.artifact_path, current.artifact_sha256)
    try:
        theirs = evaluate(spec, theirs_bundle, test).get(metric)
        basis = "candidate's test rows"
    except KeyError:  # production reads columns this dataset lacks: compare recorded metrics
        theirs = current.test_metrics.get(metric)
        basis = "recorded test metric (production cannot score these rows)"
    if mine is None or theirs is None:
        passed = mine is not None
    else:
        margin = spec.tolerance if spec.higher_is_better else -spec.tolerance
        passed = spec.better(mine + margin, theirs)
    live = compare.compare(spec, compare.live_pairs(conn, candidate, current))
    counted = (live.pairs >= spec.min_live_outcomes and live.challenger is not None
               and live.champion is not None)
    if counted:
        passed = passed and compare.not_worse(spec, live)
    return Rule(
        "not_worse_than_production",
        passed,
        {"candidate": mine, "production": theirs, "production_model": current.label,
         "metric": metric, "rows": int(len(test)), "basis": basis,
         "live": live.as_json() | {"counted": counted}},
        f"within {spec.tolerance} of production (live outcomes too, from "
        f"{spec.min_live_outcomes} pairs)",
    )


def drift_rule(conn, spec: ModelSpec, bundle: artifact.Bundle, dataset) -> Rule:
    """PSI of each feature: the dataset's test rows (its latest labelled weeks, after every
    feature window has filled) against the latest scoring rows on the same weekdays.

    Training rows sit on a weekly grid, so they all share a weekday; features such as days
    since the last pickup follow the weekday, and a week of daily rows would "drift" from them
    by the calendar alone. The scoring rows are the latest DRIFT_DATES dates on that weekday.
    """
    reference = dataset.frame[dataset.frame["split"] == "test"]
    weekdays = set(pd.to_datetime(reference["label_ts"], utc=True).dt.day_of_week)
    last = latest_as_of(conn, spec.task)
    while last is not None and weekdays and last.weekday() not in weekdays:
        last -= timedelta(days=1)
    first = last - timedelta(days=7 * (DRIFT_DATES - 1)) if last else None
    variants = trained_variants(conn, spec.task, dataset.feature_views)
    current = scoring_frame(conn, spec.task, first, last, variants) if last else None
    if current is not None:
        on_grid = pd.to_datetime(current["label_ts"], utc=True).dt.day_of_week.isin(weekdays)
        current = current[on_grid]
    window = f"{first}..{last} ({', '.join(calendar.day_name[d] for d in sorted(weekdays))}s)"
    if current is None or current.empty:
        return Rule("feature_drift", False, {"scoring_window": window, "rows": 0,
                    "error": "no rows to score: drift cannot be measured"}, spec.psi_threshold)
    columns = [c for c in bundle.features if c not in spec.drift_exempt]
    bins = bins_for(current[spec.task.entity_key].nunique())
    scores = feature_psi(
        design(reference, bundle.features, bundle.categories),
        design(current, bundle.features, bundle.categories),
        columns,
        bins,
    )
    drifted = {c: v for c, v in scores.items() if v > spec.psi_threshold}
    top = dict(sorted(scores.items(), key=lambda kv: -kv[1])[:5])
    return Rule(
        "feature_drift",
        not drifted,
        {"scoring_window": window, "rows": int(len(current)),
         "reference_rows": int(len(reference)), "bins": bins, "drifted": drifted,
         "top_psi": top, "exempt": list(spec.drift_exempt)},
        spec.psi_threshold,
    )


def decide(
    conn: psycopg.Connection,
    spec: ModelSpec,
    candidate: ModelRow,
    actor: str,
    run_id: str | None,
    force_reason: str | None = None,
    overrides: dict | None = None,
) -> Decision:
    """Evaluate the rules, record the decision, and promote when they pass (or when forced).

    `spec` carries any threshold `overrides` already; they are recorded with the decision and in
    the audit log. Everything happens in one transaction under the name's registry lock: the
    candidate's status is read again there, the rules see the production version as it is, and
    the decision, the promotion, the retirement it causes and their audit rows commit together.
    """
    started = time.perf_counter()
    overrides = overrides or {}
    params = {"model_name": spec.name, "model_version": candidate.model_version}
    with registry.locked(conn, spec.name):
        candidate = registry.get(conn, candidate.id)
        rules = evaluate_rules(conn, spec, candidate)
        decision = Decision(candidate, rules, forced=force_reason,
                            seconds=round(time.perf_counter() - started, 3))
        registry.record_decision(conn, candidate.id, decision.promoted, decision.reasons(),
                                 run_id, actor, overrides)
        registry.audit(
            conn, "forced_promotion" if force_reason else "gate_decision", candidate.id, actor,
            run_id,
            params | ({"reason": force_reason} if force_reason else {})
            | ({"overrides": overrides} if overrides else {}),
            {"decision": "promoted" if decision.promoted else "blocked",
             "failed_rules": decision.failed},
            status="success" if decision.promoted else "blocked",
            duration_ms=round(decision.seconds * 1000),
        )
        if decision.promoted:
            registry.promote_locked(conn, candidate, actor, run_id, params)
    return decision
