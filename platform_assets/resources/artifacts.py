"""The artifact store: where model files and dataset snapshots live, outside git and Postgres.

Artifacts are content-addressed by their callers (a dataset version, a model sha), so a path
names one content forever: a file is published once, atomically, and never replaced. Writing a
path that already holds different bytes is refused rather than silently overwriting history.
"""

import filecmp
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from pydantic import Field

from platform_assets.settings import platform_home


class ArtifactExists(FileExistsError):
    """A different file already holds this path."""


class ArtifactStore(dg.ConfigurableResource):
    """A directory of immutable artifacts (`datasets/<task>/<version>.parquet`, models, ...).

    The root is resolved when a path is asked for, not at import or load time, so tests and the
    CLI can redirect `PLATFORM_HOME` after the definitions are loaded.
    """

    root: str | None = Field(
        default=None,
        description="Artifact directory; unset: $PLATFORM_ARTIFACTS_ROOT, else "
        "$PLATFORM_HOME/artifacts.",
    )

    def base(self) -> Path:
        """A shared volume in a scaled-out deployment: every run process must see one root."""
        root = self.root or os.environ.get("PLATFORM_ARTIFACTS_ROOT")
        if root:
            return Path(root).expanduser().resolve()
        return platform_home() / "artifacts"

    def path(self, *parts: str) -> Path:
        """The path of an artifact under the root, with its parent directories created."""
        base = self.base()
        target = base.joinpath(*parts).resolve()
        if not parts or base not in target.parents:
            raise ValueError(f"artifact path must lie under {base}: {parts!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    @contextmanager
    def new_file(self, *parts: str) -> Iterator[Path]:
        """Yield a temporary path to write; on success publish it at `path(*parts)`.

        Publishing links the finished file into place, which never replaces an existing file
        and never shows a half-written one. An existing identical file is kept; a different one
        raises `ArtifactExists`. A failure inside the block publishes nothing.
        """
        target = self.path(*parts)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(handle)
        temp = Path(name)
        try:
            try:
                yield temp
            except OSError as error:
                if error.filename is not None:
                    raise
                # Write errors (disk full, EFBIG, EIO) name no file: say which artifact failed.
                raise OSError(error.errno, error.strerror or str(error), str(target)) from error
            _publish(temp, target)
        finally:
            temp.unlink(missing_ok=True)

    def write_bytes(self, data: bytes, *parts: str) -> Path:
        with self.new_file(*parts) as temp:
            temp.write_bytes(data)
        return self.path(*parts)


def _publish(temp: Path, target: Path) -> None:
    temp.chmod(0o644)  # mkstemp makes it private; artifacts are for every reader of the store
    try:
        os.link(temp, target)
    except FileExistsError:
        if not filecmp.cmp(temp, target, shallow=False):
            raise ArtifactExists(f"{target} exists with different content") from None
