"""Where the platform keeps its files, resolved at call time so that tests and CLIs can redirect it.

Nothing here reads a secret; database URLs are resolved in `platform_assets.db.server`.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"


def platform_home() -> Path:
    """The project-local state directory (embedded Postgres, artifacts, Dagster files).

    `PLATFORM_HOME` moves it (tests point it at a temp dir); the default keeps everything beside
    the checkout so that `rm -rf .platform` is a full reset.
    """
    return Path(os.environ.get("PLATFORM_HOME") or PROJECT_ROOT / ".platform").resolve()
