"""Model artifacts: a pickled bundle in the artifact store, named and verified by its sha256.

The registry row holds the hash; `load` refuses a file whose bytes no longer match it, so a
model that was swapped, truncated or tampered with on disk is never scored.
"""

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

from platform_assets.resources.artifacts import ArtifactStore


class ArtifactHashMismatch(RuntimeError):
    """The file on disk is not the one the registry recorded."""


@dataclass(frozen=True)
class Bundle:
    """Everything scoring needs besides the rows: the estimator and its input contract."""

    estimator: object
    task: str
    kind: str
    features: list[str]
    categories: dict[str, list[str]]
    dataset_version: str

    def score(self, matrix) -> "object":
        """Probability of the positive class for classifiers, the prediction for regressors."""
        if self.kind == "classification":
            return self.estimator.predict_proba(matrix)[:, 1]
        return self.estimator.predict(matrix)


@dataclass(frozen=True)
class Saved:
    path: Path
    sha256: str
    size_bytes: int


def save(store: ArtifactStore, bundle: Bundle) -> Saved:
    data = pickle.dumps(bundle, protocol=5)
    digest = hashlib.sha256(data).hexdigest()
    path = store.write_bytes(data, "models", bundle.task, f"{digest}.pkl")
    return Saved(path=path, sha256=digest, size_bytes=len(data))


def load(path: str | Path, sha256: str) -> Bundle:
    """The bundle at `path`, after checking its bytes hash to `sha256`."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"model artifact {path} is missing") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ArtifactHashMismatch(
            f"model artifact {path} has sha256 {actual}, the registry recorded {sha256}: "
            "refusing to load it"
        )
    return pickle.loads(data)  # noqa: S301 - only after the hash matched the registry's
