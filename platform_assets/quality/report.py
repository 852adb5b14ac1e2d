"""How a check outcome is shown: Dagster metadata that explains a failure on its own.

The same facts go to the UI (metadata) and to `quality.check_results.observed` (jsonb), so a
failure reads the same in the Dagster UI, in SQL and on a dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dagster as dg

# Keys of an expectation's facts that say what was seen, in reading order.
_OBSERVED_KEYS = ("observed_value", "unexpected_count", "unexpected_percent", "element_count")


@dataclass(frozen=True)
class Outcome:
    """One check's result: facts per expectation, or the error that stopped the check."""

    name: str
    blocking: bool
    expectations: list[dict] = field(default_factory=list)
    error: str | None = None
    query: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(fact["success"] for fact in self.expectations)

    @property
    def severity(self) -> dg.AssetCheckSeverity:
        return dg.AssetCheckSeverity.ERROR if self.blocking else dg.AssetCheckSeverity.WARN

    def observed(self) -> dict:
        """The jsonb stored in `quality.check_results.observed`."""
        out: dict[str, Any] = {"passed": self.passed, "expectations": self.expectations}
        if self.error:
            out["error"] = self.error
        return out


def check_result(
    asset_key: dg.AssetKey, outcome: Outcome, partition_key: str | None
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=outcome.name,
        asset_key=asset_key,
        passed=outcome.passed,
        severity=outcome.severity,
        metadata=metadata(outcome, partition_key),
    )


def metadata(outcome: Outcome, partition_key: str | None) -> dict[str, dg.MetadataValue]:
    failed = [fact for fact in outcome.expectations if not fact["success"]]
    out = {
        "summary": dg.MetadataValue.text(summary(outcome)),
        "failed_expectations": dg.MetadataValue.int(len(failed)),
        "expectations": dg.MetadataValue.md(table(outcome.expectations)),
        "observed": dg.MetadataValue.json(outcome.observed()),
    }
    if outcome.error:
        out["error"] = dg.MetadataValue.text(outcome.error)
    if partition_key is not None:
        out["partition_key"] = dg.MetadataValue.text(partition_key)
    if outcome.query:
        out["query"] = dg.MetadataValue.md(f"```sql\n{outcome.query}\n```")
    return out


def summary(outcome: Outcome) -> str:
    """One line per failed expectation (or the error): thresholds and what was observed."""
    if outcome.error:
        return f"check failed with an error: {outcome.error}"
    failed = [fact for fact in outcome.expectations if not fact["success"]]
    head = f"{len(outcome.expectations) - len(failed)} of {len(outcome.expectations)} passed"
    return "\n".join([head, *(describe(fact) for fact in failed)])


def describe(fact: dict) -> str:
    """`expect_x(thresholds): observed ...` for one expectation."""
    text = f"{title(fact)}({_call_args(thresholds(fact))}): {observed(fact)}"
    return f"{text}; error: {fact['error']}" if fact.get("error") else text


def title(fact: dict) -> str:
    """The expectation type, with its description for custom SQL (whose type says little)."""
    if fact.get("description"):
        return f"{fact['expectation']} [{fact['description']}]"
    return fact["expectation"]


def thresholds(fact: dict) -> dict:
    """kwargs and meta, without the SQL of custom expectations (kept in the jsonb facts)."""
    kwargs = {k: v for k, v in fact.get("kwargs", {}).items() if k != "unexpected_rows_query"}
    return kwargs | fact.get("meta", {})


def observed(fact: dict) -> str:
    # A custom SQL expectation's observed_value is only its count of rows: show the rows.
    hidden = {"observed_value"} if "unexpected_rows" in fact else set()
    keys = [key for key in _OBSERVED_KEYS if key in fact and key not in hidden]
    parts = [f"{key}={_short(fact[key])}" for key in keys]
    if "unexpected_sample" in fact:
        parts.append(f"unexpected e.g. {_short(fact['unexpected_sample'])}")
    if "unexpected_rows" in fact:
        parts.append(f"unexpected rows {_short(fact['unexpected_rows'])}")
    if "details" in fact:
        parts.append(f"details {_short(fact['details'])}")
    return "observed " + ", ".join(parts) if parts else "nothing observed"


def table(facts: list[dict]) -> str:
    rows = [
        "| ok | expectation | thresholds | observed |",
        "| --- | --- | --- | --- |",
    ]
    for fact in facts:
        seen = observed(fact) + (f"; error: {fact['error']}" if fact.get("error") else "")
        cells = ["yes" if fact["success"] else "**no**", title(fact)]
        cells += [_call_args(thresholds(fact)), seen]
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(rows)


def _call_args(values: dict) -> str:
    return ", ".join(f"{key}={_short(value)}" for key, value in values.items())


def _short(value: Any, limit: int = 300) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
