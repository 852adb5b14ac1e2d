"""The split by time: the latest as-of dates test, the ones before valid, the rest train.

Splitting rows at random would put an entity's later weeks in train and its earlier weeks in
test, letting a model learn the future; cutting between as-of dates never does.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

SPLIT_FRACTIONS = {"valid": 0.15, "test": 0.15}
SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Cutoffs:
    """Labels at or after `test_from` are test, at or after `valid_from` valid, else train.

    None means no label falls in that split.
    """

    valid_from: datetime | None
    test_from: datetime | None


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
