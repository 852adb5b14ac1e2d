"""`platform-assets models list|show|compare|promote|rollback|deny`: the registry from a shell.

A manual promotion runs the same gate as the weekly job; `--force` skips its verdict (not its
record) and needs a reason, which the decision and the audit log keep. A rolled-back or denied
version is promoted again only that way. Every change is audited with the shell user as the
actor.
"""

import argparse
import json
import sys

import psycopg

from platform_assets.db import server
from platform_assets.db.connect import CLI_APPLICATION, ConnectFailed, connect
from platform_assets.metadata import markdown
from platform_assets.models import compare, gate, registry
from platform_assets.models.actor import cli_actor
from platform_assets.models.specs import MODEL_SPECS


def add_models_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every version, its status, test metric, decision")
    listing.add_argument("name", nargs="?", help="only this model")
    actions.add_parser("show", help="one model's versions in full").add_argument("name")
    promote = actions.add_parser("promote", help="put a version through the gate (or --force)")
    promote.add_argument("name")
    promote.add_argument("version", type=int)
    promote.add_argument("--force", action="store_true", help="promote even if the gate blocks")
    promote.add_argument("--reason", help="why the gate is overridden (required with --force)")
    rollback = actions.add_parser("rollback", help="restore the previous production version")
    rollback.add_argument("name")
    compare_ = actions.add_parser(
        "compare", help="production against its shadow challengers on live outcomes")
    compare_.add_argument("name")
    compare_.add_argument("--days", type=int, default=None,
                          help="only the latest DAYS days with known outcomes (default: all)")
    deny = actions.add_parser("deny", help="reject a candidate: the gate will not promote it")
    deny.add_argument("name")
    deny.add_argument("version", type=int)
    deny.add_argument("--reason", required=True, help="why the candidate is rejected")
    return parser


def _spec(name: str):
    registry.validate_name(name)
    if name not in MODEL_SPECS:
        raise registry.RegistryError(
            f"unknown model {name!r}; models: {', '.join(sorted(MODEL_SPECS))}"
        )
    return MODEL_SPECS[name]


def _metric(spec_name: str, metrics: dict) -> str:
    spec = MODEL_SPECS.get(spec_name)
    if spec is None or metrics.get(spec.primary_metric) is None:
        return ""
    return f"{spec.primary_metric}={metrics[spec.primary_metric]:.3f}"


def registry_table(conn: psycopg.Connection, name: str | None = None) -> str:
    """The registry as a Markdown table: name, version, status, test metric, latest decision."""
    headers, rows = registry.list_models(conn, name)
    shown = [
        [
            row["model_name"],
            row["model_version"],
            row["deployment_status"],
            _metric(row["model_name"], row["test_metrics"]),
            row["decision"] or "",
            ", ".join(row["failed_rules"] or []),
            row["created_at"].strftime("%Y-%m-%d %H:%M"),
        ]
        for row in (dict(zip(headers, r, strict=True)) for r in rows)
    ]
    table = ["name", "version", "status", "test metric", "decision", "failed rules", "created"]
    return markdown(shown, table).value if shown else "(no models registered)"


def _show(conn: psycopg.Connection, name: str) -> None:
    _spec(name)
    print(registry_table(conn, name))
    current = registry.production(conn, name)
    latest = current or registry.latest(conn, name)
    if latest is None:
        return
    print(f"\n{latest.label} ({latest.deployment_status}), id {latest.id}")
    print(f"  trained on dataset {latest.training_data_version}, feature views "
          f"{json.dumps(latest.feature_set_version)}")
    print(f"  artifact {latest.artifact_path} (sha256 {latest.artifact_sha256[:16]}..., "
          f"{latest.artifact_size_bytes:,} bytes)")
    for split, metrics in (("valid", latest.validation_metrics), ("test", latest.test_metrics)):
        print(f"  {split}: {json.dumps(metrics)}")
    for label, decided_at, decision, actor, overrides in registry.decisions(conn, name):
        shown = f", overrides {json.dumps(overrides)}" if overrides else ""
        print(f"  decision {decided_at:%Y-%m-%d %H:%M} {label}: {decision} by {actor or '?'}"
              f"{shown}")


def _promote(conn: psycopg.Connection, args: argparse.Namespace) -> None:
    spec = _spec(args.name)
    if args.force and not (args.reason and args.reason.strip()):
        raise registry.RegistryError("--force needs --reason: say why the gate is overridden")
    candidate = registry.by_version(conn, args.name, args.version)
    if candidate.deployment_status == "production":
        print(f"{candidate.label} is already in production")
        return
    decision = gate.decide(conn, spec, candidate, cli_actor(), None,
                           force_reason=args.reason.strip() if args.force else None)
    print(decision.summary())
    for rule in decision.rules:
        print(f"  {'pass' if rule.passed else 'FAIL'} {rule.rule}: {json.dumps(rule.observed)}")
    if not decision.promoted:
        sys.exit(2)


def _value(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _compare(conn: psycopg.Connection, name: str, days: int | None) -> None:
    spec = _spec(name)
    current = registry.production(conn, name)
    if current is None:
        print(f"{name} has no production model: nothing to compare with")
        return
    shadowed = {row.id: row for row in registry.challengers(conn, name, spec.challengers)}
    for model_id, _ in registry.shadowed(conn, name):
        shadowed.setdefault(model_id, registry.get(conn, model_id))
    shadowed.pop(current.id, None)
    if not shadowed:
        print(f"{name}: {current.label} in production, no shadow challengers (a candidate "
              "becomes one when the gate blocks it only for the comparison with production or "
              "drift)")
        return
    metric = "auc" if spec.classifier else "mae"
    rows = []
    for challenger in sorted(shadowed.values(), key=lambda m: -m.model_version):
        result = compare.compare(spec, compare.live_pairs(conn, challenger, current, days))
        ci = f"[{result.low:+.3f}, {result.high:+.3f}]" if result.low is not None else ""
        rows.append([challenger.label, challenger.deployment_status, result.pairs,
                     result.entities, _value(result.challenger), _value(result.champion),
                     "" if result.difference is None else f"{result.difference:+.3f}", ci])
    window = f"the latest {days} days" if days else "all days"
    better = "higher" if spec.classifier else "lower"
    print(f"{name}: challengers against {current.label} (production) on live outcomes, the "
          f"same entities and days, {window}; {metric}: {better} is better")
    print(markdown(rows, ["challenger", "status", "pairs", "entities", metric,
                          f"{current.label} {metric}", "difference", "95% CI"]).value)


def _rollback(conn: psycopg.Connection, name: str) -> None:
    _spec(name)
    restored, rolled_back = registry.rollback(conn, name, cli_actor())
    print(f"{name}: {restored.label} is back in production; {rolled_back.label} rolled back")


def cmd_models(args: argparse.Namespace) -> None:
    try:
        if args.name is not None:
            _spec(args.name)  # a bad name is refused before connecting, let alone running SQL
        with connect(server.database_url(), CLI_APPLICATION) as conn:
            if args.action == "list":
                if args.name:
                    _spec(args.name)
                print(registry_table(conn, args.name))
            elif args.action == "show":
                _show(conn, args.name)
            elif args.action == "promote":
                _promote(conn, args)
            elif args.action == "compare":
                _compare(conn, args.name, args.days)
            elif args.action == "deny":
                row = registry.deny(conn, args.name, args.version, cli_actor(), args.reason)
                print(f"{row.label} denied: the gate will not promote it without --force")
            else:
                _rollback(conn, args.name)
    except ConnectFailed:
        raise  # an OSError: platform-assets prints it with its hint
    except (registry.RegistryError, ValueError, psycopg.Error, OSError) as error:
        print(f"error: {server.redact(str(error)).strip()}", file=sys.stderr)
        sys.exit(1)
