"""Where the platform keeps its files, resolved at call time so that tests and CLIs can redirect it.

The package runs two ways: from a checkout (`pip install -e .`, the Makefile) and installed from a
wheel. Only a checkout has the project's own files beside the package (`dagster.yaml`,
`workspace.yaml`, `docs/`); the SQL ships in both. Nothing here reads a secret; database URLs are
resolved in `platform_assets.db.server`.
"""

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent

# The checkout's root. In a wheel install this is site-packages: use it only when IN_CHECKOUT.
PROJECT_ROOT = _PACKAGE_DIR.parent
IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "sql").is_dir()

# The top-level `sql/` of a checkout, which the wheel ships as `platform_assets/sql/`
# (pyproject.toml maps the one onto the other); read only through `db.sql.load_sql`.
SQL_DIR = PROJECT_ROOT / "sql" if IN_CHECKOUT else _PACKAGE_DIR / "sql"


def platform_home() -> Path:
    """The project-local state directory (embedded Postgres, artifacts, Dagster files).

    `PLATFORM_HOME` moves it (tests point it at a temp dir). In a checkout the default keeps
    everything beside it, so that `rm -rf .platform` is a full reset. Installed from a wheel there
    is no project directory, and site-packages may be shared or read-only, so the default is
    `.platform` in the current directory: like a checkout's, it belongs to where you run.
    """
    if home := os.environ.get("PLATFORM_HOME"):
        return Path(home).resolve()
    return ((PROJECT_ROOT if IN_CHECKOUT else Path.cwd()) / ".platform").resolve()
