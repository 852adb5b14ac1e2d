"""Every module of platform_assets imports on its own, and no module-level imports form a cycle.

A cycle can pass the other tests: whichever module of the cycle is imported first decides
whether the other finds its names defined, so it breaks only for the caller that starts from
the wrong end (a CLI command, a subprocess, a new test). Both checks below start from every end:
(a) each module imported alone, (b) the graph of module-level imports, read with `ast`; a third
check collapses that graph onto the top-level domains, which must not import each other in a
cycle either.
"""

import ast
import importlib.util
import itertools
import json
import os
import pkgutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "platform_assets"
ROOT = Path(importlib.util.find_spec(PACKAGE).origin).parent  # found, not imported


def walk(path: Path = ROOT, prefix: str = PACKAGE) -> Iterator[tuple[str, Path]]:
    """(module name, source file) of the package and every module below it, found on disk with
    pkgutil (pkgutil.walk_packages would import each package to list it)."""
    yield prefix, path / "__init__.py"
    for info in pkgutil.iter_modules([str(path)], f"{prefix}."):
        short = info.name.rpartition(".")[2]
        if info.ispkg:
            yield from walk(path / short, info.name)
        else:
            yield info.name, path / f"{short}.py"


MODULES = dict(walk())

# --- (a) each module imported alone, in one subprocess ---------------------------------------

# argv: package, its root directory, the module names (JSON), the report's path. Each module is
# imported after every module of the package is dropped from sys.modules; third-party modules
# stay loaded, which keeps the ~90 imports to seconds.
IMPORT_EACH_ALONE = textwrap.dedent(
    """
    import importlib, json, sys, traceback

    package, root, names, report = sys.argv[1:5]
    failures = {}
    for name in json.loads(names):
        for loaded in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[loaded]
        try:
            importlib.import_module(name)
        except Exception as error:
            frames = traceback.extract_tb(error.__traceback__)
            frame = [f for f in frames if f.filename.startswith(root)][-1:] or frames[-1:]
            where = f" ({frame[0].filename}:{frame[0].lineno})" if frame else ""
            failures[name] = f"{type(error).__name__}: {error}{where}"
    with open(report, "w") as out:
        json.dump(failures, out)
    """
)


def import_each_alone(
    modules: dict[str, Path], report: Path, path_entry: Path | None = None
) -> dict[str, str]:
    """{module: the error importing it raised} for the modules that fail on their own."""
    package = next(iter(modules))
    root = str(modules[package].parent)
    env = None
    if path_entry is not None:
        env = {**os.environ, "PYTHONPATH": str(path_entry)}
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH_ALONE, package, root, json.dumps(sorted(modules)),
         str(report)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text())


def test_every_module_imports_on_its_own(tmp_path):
    """Each module imported with no platform_assets module loaded before it: an ImportError
    ("partially initialized module") is a cycle entered from that module's end."""
    failures = import_each_alone(MODULES, tmp_path / "failures.json")
    assert not failures, "modules that do not import on their own:\n" + "\n".join(
        f"  {name}: {error}" for name, error in sorted(failures.items())
    )


# --- (b) the static import graph has no cycle -------------------------------------------------


def _never_runs_on_import(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` (never true when running) and `if __name__ == "__main__":` (true
    only when the file runs as a script)."""
    if isinstance(test, ast.Name | ast.Attribute):
        return getattr(test, "id", getattr(test, "attr", None)) == "TYPE_CHECKING"
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name) and test.left.id == "__name__"
        and [type(op) for op in test.ops] == [ast.Eq]
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def module_level_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports under `node` that run when the module is imported: not those in functions (they
    run when called), under `if TYPE_CHECKING:` or in the `__main__` block. Class bodies run."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        skipped = isinstance(node, ast.If) and _never_runs_on_import(node.test)
        for child in node.orelse if skipped else ast.iter_child_nodes(node):
            yield from module_level_imports(child)


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def imported_modules(
    name: str, node: ast.Import | ast.ImportFrom, modules: dict[str, Path] = MODULES
) -> set[str]:
    """The modules of the package (`modules`) that an import statement of module `name` runs."""
    if isinstance(node, ast.Import):
        targets = {alias.name for alias in node.names}
    else:
        base = node.module or ""
        if node.level:  # relative: from the module's package, up level - 1
            package = name if modules[name].name == "__init__.py" else name.rpartition(".")[0]
            package = package.rsplit(".", node.level - 1)[0]
            base = f"{package}.{base}" if base else package
        targets = {
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
            for alias in node.names
        }
    top = next(iter(modules))
    targets = {t for t in targets if t.split(".")[0] == top}
    # Importing a.b.c runs a/__init__ and a/b/__init__ first. The importer's own packages are
    # left out: Python has started them before the importer runs, so they cannot wait on it.
    parents = {p for t in targets for p in _ancestors(t)} - {name, *_ancestors(name)}
    return targets | parents


def import_graph(modules: dict[str, Path] = MODULES) -> dict[str, dict[str, int]]:
    """module -> {module it imports at module level: line of the (first) import}."""
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges = graph.setdefault(name, {})
        for node in module_level_imports(ast.parse(path.read_text(), str(path))):
            for target in imported_modules(name, node, modules):
                edges.setdefault(target, node.lineno)
    return graph


def domain_graph(graph: dict[str, dict[str, int]]) -> dict[str, dict[str, str]]:
    """The graph between the package's top-level parts (platform_assets.models, .cli, ...):
    part -> {part it imports: one module-level import that does, as `module:line`}."""
    top = next(iter(graph))

    def part(module: str) -> str:
        return ".".join(module.split(".")[:2])

    parts: dict[str, dict[str, str]] = {}
    for module, edges in graph.items():
        found = parts.setdefault(part(module), {})
        for target, line in edges.items():
            if target != top and part(target) != part(module):
                found.setdefault(part(target), f"{module}:{line}")
    return parts


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module, and modules importing
    themselves (Tarjan's algorithm, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, {}))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, {}):
                    found.append(sorted(component))
    return sorted(found)


def shortest_cycle(graph: dict[str, dict], component: list[str]) -> list[str]:
    """A shortest cycle through the component's first node: [node, ..., node]."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node]):
            if child == start:
                return [*paths[node], start]
            if child in members and child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    raise AssertionError(f"no cycle through {start}")


def describe(graph: dict[str, dict], found: list[list[str]], step: str) -> str:
    """Each cycle's members and one cycle through them; `step` formats an edge from `a` to `b`
    imported at `where` (the graph's value)."""
    lines = []
    for component in found:
        path = shortest_cycle(graph, component)
        edges = (step.format(a=a, b=b, where=graph[a][b]) for a, b in itertools.pairwise(path))
        lines.append(f"  {{{', '.join(component)}}}\n    e.g. {' -> '.join(edges)} -> {path[0]}")
    return "\n".join(lines)


def test_module_level_imports_form_no_cycle():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles (module:line of the import):\n" + describe(
        graph, found, "{a}:{where}"
    )


def test_top_level_parts_import_each_other_in_no_cycle():
    """No cycle between the package's domains either (dashboards -> monitoring -> dashboards),
    even when the modules involved form none: a domain should build on others, not both ways."""
    graph = domain_graph(import_graph())
    found = cycles(graph)
    assert not found, "cycles between domains (one import that makes each edge):\n" + describe(
        graph, found, "{a} ({where})"
    )


# --- the checks themselves, on a small package with known cycles -----------------------------

SAMPLE = {
    "__init__.py": "",
    "a.py": "from sample_pkg.b import B\nA = 1\n",
    "b.py": "from sample_pkg.a import A\nB = 2\n",
    "c.py": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sample_pkg import a\n"
        "def later():\n    from sample_pkg import b\n"
    ),
    # d -> sub/__init__ -> sub.x -> d: fails from d's end only; from sub.x's, Python starts
    # sub/__init__ first and d finds it (partly) loaded.
    "d.py": "import sample_pkg.sub\nD = 1\n",
    "sub/__init__.py": "from .x import X\n",
    "sub/x.py": "from ..d import D\nX = 1\n",
    "sub/y.py": "from sample_pkg.sub import x\n",
}


@pytest.fixture
def sample(tmp_path) -> dict[str, Path]:
    for relative, text in SAMPLE.items():
        path = tmp_path / "sample_pkg" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return dict(walk(tmp_path / "sample_pkg", "sample_pkg"))


def test_walk_finds_modules_and_packages_on_disk(sample, tmp_path):
    root = tmp_path / "sample_pkg"
    assert sample == {
        "sample_pkg": root / "__init__.py",
        **{f"sample_pkg.{m}": root / f"{m}.py" for m in "abcd"},
        "sample_pkg.sub": root / "sub" / "__init__.py",
        "sample_pkg.sub.x": root / "sub" / "x.py",
        "sample_pkg.sub.y": root / "sub" / "y.py",
    }
    assert MODULES[PACKAGE] == ROOT / "__init__.py" and len(MODULES) > 50


def test_import_each_alone_names_the_modules_a_cycle_breaks(sample, tmp_path):
    failures = import_each_alone(sample, tmp_path / "failures.json", path_entry=tmp_path)
    assert sorted(failures) == ["sample_pkg.a", "sample_pkg.b", "sample_pkg.d"]
    assert "partially initialized module 'sample_pkg.d'" in failures["sample_pkg.d"]


def test_the_static_graph_finds_the_cycles(sample):
    graph = import_graph(sample)
    assert graph["sample_pkg.sub.x"] == {"sample_pkg.d": 1}  # relative, up one package
    assert graph["sample_pkg.sub.y"] == {"sample_pkg.sub.x": 1}  # its own package left out
    assert graph["sample_pkg.c"] == {}  # TYPE_CHECKING and function imports left out
    assert cycles(graph) == [
        ["sample_pkg.a", "sample_pkg.b"],
        ["sample_pkg.d", "sample_pkg.sub", "sample_pkg.sub.x"],
    ]
    assert describe(graph, cycles(graph)[1:], "{a}:{where}") == (
        "  {sample_pkg.d, sample_pkg.sub, sample_pkg.sub.x}\n"
        "    e.g. sample_pkg.d:1 -> sample_pkg.sub:1 -> sample_pkg.sub.x:1 -> sample_pkg.d"
    )
    assert cycles(domain_graph(graph)) == [
        ["sample_pkg.a", "sample_pkg.b"], ["sample_pkg.d", "sample_pkg.sub"]
    ]


def test_only_imports_that_run_at_import_time_count():
    tree = ast.parse(
        textwrap.dedent(
            """
            import a
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                import hidden
            else:
                import b
            try:
                import c
            except ImportError:
                import d
            class K:
                import e
            def f():
                import hidden_too
            if typing.TYPE_CHECKING:
                import hidden_three
            if __name__ == "__main__":
                import hidden_four
            """
        )
    )
    names = [alias.name for node in module_level_imports(tree) for alias in node.names]
    assert names == ["a", "TYPE_CHECKING", "b", "c", "d", "e"]


def test_imports_resolve_to_modules_and_the_packages_they_run(sample):
    def resolved(importer: str, statement: str) -> set[str]:
        return imported_modules(f"sample_pkg.{importer}", ast.parse(statement).body[0], sample)

    sub = "sample_pkg.sub"
    # A module by name, a name from a module, a name from a package's __init__: each runs the
    # packages above it too.
    assert resolved("a", "from sample_pkg.sub import x") == {f"{sub}.x", sub}
    assert resolved("a", "from sample_pkg.sub.x import X") == {f"{sub}.x", sub}
    assert resolved("a", "from sample_pkg.sub import X") == {sub}
    assert resolved("a", "import sample_pkg.sub.x as x") == {f"{sub}.x", sub}
    # Relative, from a module and from a package's __init__; other packages are ignored.
    assert resolved("sub.y", "from .x import X") == {f"{sub}.x"}
    assert resolved("sub.y", "from .. import a, b") == {"sample_pkg.a", "sample_pkg.b"}
    assert resolved("sub", "from . import x") == {f"{sub}.x"}
    assert resolved("sub", "from sample_pkg.sub import X") == {sub}  # itself: a self-loop
    assert resolved("a", "import dagster as dg") == set()


def test_cycles_are_components_and_self_imports():
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}, "e": {"e": 1}, "f": {}}
    assert cycles(graph) == [["a", "b", "c"], ["e"]]
    assert shortest_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert shortest_cycle(graph, ["e"]) == ["e", "e"]
