"""The wheel is the package: built from this checkout and installed into a fresh virtualenv, it
reads every query, every migration and the whole asset graph from its own files, none from here.

The fresh venv sees the dependencies already installed in this one through a `.pth` path line;
such a line only extends `sys.path`, so this venv's own `.pth` files (the editable install's
finder among them) never run there. No network: the wheel is built without build isolation.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from setuptools import find_packages

from platform_assets.settings import PROJECT_ROOT

SQL_ROOT = PROJECT_ROOT / "sql"
# What the build reads: pyproject.toml names README.md as the long description.
BUILD_INPUTS = ("pyproject.toml", "README.md", "platform_assets", "sql")

# Runs in the installed venv (`python -I`: no PYTHONPATH, no cwd on sys.path) and prints JSON.
PROBE = """
import json
import sys
from importlib.metadata import entry_points

import platform_assets
from platform_assets import settings
from platform_assets.db.migrate import discover
from platform_assets.db.sql import load_sql
from platform_assets.definitions import defs
from platform_assets.instance import dagster_instance

try:
    load_sql("../settings")
    escape = "read"
except ValueError:
    escape = "refused"
graph = defs.resolve_asset_graph()
(script,) = entry_points(group="console_scripts", name="platform-assets")
with dagster_instance() as instance:
    dagster_home = instance.root_directory
print(json.dumps({
    "package": platform_assets.__file__,
    "in_checkout": settings.IN_CHECKOUT,
    "sql_dir": str(settings.SQL_DIR),
    "platform_home": str(settings.platform_home()),
    "dagster_home": dagster_home,
    "sys_path": sys.path,
    "queries": {name: load_sql(name) for name in json.load(sys.stdin)},
    "escape": escape,
    "migrations": {m.path.name: [m.checksum, str(m.path)] for m in discover()},
    "code_versions": {
        key.to_user_string(): graph.get(key).code_version for key in graph.get_all_asset_keys()
    },
    "cli": callable(script.load()),
}))
"""


def sql_names() -> list[str]:
    return sorted(str(p.relative_to(SQL_ROOT).with_suffix("")) for p in SQL_ROOT.rglob("*.sql"))


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    shown = " ".join(map(str, command))[:200]
    assert done.returncode == 0, f"{shown}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


def test_every_package_is_listed_for_the_wheel():
    """pyproject.toml lists the packages (the sql/ mapping rules out `packages.find`)."""
    setuptools = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set(find_packages(str(PROJECT_ROOT), include=["platform_assets*"]))
    assert set(setuptools["packages"]) == found | {"platform_assets.sql"}
    assert setuptools["package-dir"] == {"platform_assets.sql": "sql"}


def build_wheel(tmp_path: Path) -> Path:
    """Build from a copy, so that setuptools' build/ and egg-info never land in the checkout."""
    source = tmp_path / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        path = PROJECT_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "--wheel-dir", str(tmp_path / "dist"), str(source))
    (wheel,) = (tmp_path / "dist").glob("platform_assets-*.whl")
    return wheel


def fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
        "--no-index", "--no-warn-script-location", str(wheel))
    site = run(str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(site.stdout.strip()) / "_dependencies.pth").write_text("\n".join(ours) + "\n")
    return python


@pytest.mark.slow
def test_the_installed_wheel_reads_its_own_sql_and_loads_the_definitions(tmp_path):
    from platform_assets.db.migrate import discover
    from platform_assets.definitions import defs

    python = fresh_venv(tmp_path, build_wheel(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    names = sql_names()
    # No PLATFORM_HOME or DAGSTER_HOME: the installed defaults; a DAGSTER_PG_URL starts no server.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PLATFORM_HOME", "DAGSTER_HOME", "DATABASE_URL")}
    env["DAGSTER_PG_URL"] = "postgresql+psycopg2://nobody@localhost/unused"
    done = run(str(python), "-I", "-c", PROBE, input=json.dumps(names), cwd=elsewhere, env=env)
    found = json.loads(done.stdout.splitlines()[-1])

    venv = python.parent.parent
    assert Path(found["package"]).is_relative_to(venv), found["package"]
    assert not found["in_checkout"]
    assert Path(found["sql_dir"]).is_relative_to(venv)
    # No checkout to keep state beside: the current directory, never site-packages.
    assert found["platform_home"] == str(elsewhere.resolve() / ".platform")
    assert found["dagster_home"] == str(elsewhere.resolve() / ".platform" / "dagster")
    own_site = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    assert not [p for p in found["sys_path"]
                if Path(p).is_relative_to(PROJECT_ROOT) and p not in own_site]

    assert len(names) > 100
    assert found["queries"] == {n: (SQL_ROOT / f"{n}.sql").read_text() for n in names}
    assert found["escape"] == "refused"
    assert {name: checksum for name, (checksum, _) in found["migrations"].items()} == {
        m.path.name: m.checksum for m in discover()
    }
    assert all(Path(path).is_relative_to(venv) for _, path in found["migrations"].values())

    graph = defs.resolve_asset_graph()
    here = {k.to_user_string(): graph.get(k).code_version for k in graph.get_all_asset_keys()}
    assert found["code_versions"] == here
    assert here["features/customer_daily"] and here["training/churn_risk"]
    assert found["cli"]
