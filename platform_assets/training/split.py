"""The split by time: the latest as-of dates test, the ones before valid, the rest train; purged.

Splitting rows at random would put an entity's later weeks in train and its earlier weeks in
test, letting a model learn the future; cutting between as-of dates never does. Cutting alone is
not enough when a label looks ahead: a train row's label window (label_ts, label_ts + horizon]
runs into the valid and test dates, so one churn event would be a positive in train and in test.
The purge drops every row whose window reaches past the start of the next split: train rows
where label_ts + horizon > valid_from, valid rows where label_ts + horizon > test_from. Rows are
dropped, never moved or re-labelled, and the cutoffs stay where the label dates put them.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

SPLIT_FRACTIONS = {"valid": 0.15, "test": 0.15}
SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Cutoffs:
    """Labels at or after `test_from` are test, at or after `valid_from` valid, else train.

    None means no label falls in that split (or any later one). Without valid dates
    `valid_from` equals `test_from`, so train always ends where the next non-empty split starts.
    """

    valid_from: datetime | None
    test_from: datetime | None

    def split_of(self, label_ts: datetime) -> str:
        """The split of a label at `label_ts` (the CASE in `sql/training/pit_join.sql`)."""
        if self.test_from is not None and label_ts >= self.test_from:
            return "test"
        if self.valid_from is not None and label_ts >= self.valid_from:
            return "valid"
        return "train"

    def next_split_from(self, split: str) -> datetime | None:
        """Where the split after `split` begins: no label window of `split` may reach past it."""
        return {"train": self.valid_from, "valid": self.test_from}.get(split)

    def purged(self, label_ts: datetime, horizon: timedelta) -> bool:
        """Whether the purge drops a label at `label_ts` whose window is `horizon` long."""
        bound = self.next_split_from(self.split_of(label_ts))
        return bound is not None and label_ts + horizon > bound


def _share(count: int, fraction: float) -> int:
    return max(1, int(count * fraction + 0.5))  # round half up, and never less than one date


def split_sizes(dates: int, valid: float, test: float) -> tuple[int, int, int]:
    """How many as-of dates go to (train, valid, test): at least one each from three dates on;
    two dates give train and test, one date train only."""
    n_test = _share(dates, test) if dates >= 2 else 0
    n_valid = _share(dates, valid) if dates >= 3 else 0
    if n_test + n_valid > max(dates - 1, 0):  # train keeps a date; valid gives way first
        n_valid = min(n_valid, max(1, dates - 1 - n_test)) if n_valid else 0
        n_test = min(n_test, dates - 1 - n_valid)
    return dates - n_valid - n_test, n_valid, n_test


def split_cutoffs(
    label_times: Iterable[datetime],
    valid: float = SPLIT_FRACTIONS["valid"],
    test: float = SPLIT_FRACTIONS["test"],
) -> Cutoffs:
    """Where the splits begin among the distinct label times."""
    ordered = sorted(set(label_times))
    n_train, n_valid, n_test = split_sizes(len(ordered), valid, test)
    test_from = ordered[n_train + n_valid] if n_test else None
    valid_from = ordered[n_train] if n_valid else test_from
    return Cutoffs(valid_from=valid_from, test_from=test_from)


def purge_summary(
    labels_per_time: Mapping[datetime, int], cutoffs: Cutoffs, horizon: timedelta, enabled: bool
) -> dict:
    """What the purge did, for the registry and the asset metadata (JSON-ready).

    `labels_per_time` counts the labels at each as-of time before the purge. `rows_purged` is
    what was dropped (zeros when the purge is off); `rows_overlapping` what crosses into the
    next split before any purge, so an unpurged dataset says how much it leaks.
    """
    overlapping = dict.fromkeys(SPLITS, 0)
    for label_ts, count in labels_per_time.items():
        if cutoffs.purged(label_ts, horizon):
            overlapping[cutoffs.split_of(label_ts)] += count
    return {
        "enabled": enabled,
        "horizon_s": int(horizon.total_seconds()),
        "valid_from": _iso(cutoffs.valid_from),
        "test_from": _iso(cutoffs.test_from),
        "rows_purged": overlapping if enabled else dict.fromkeys(SPLITS, 0),
        "rows_overlapping": overlapping,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
