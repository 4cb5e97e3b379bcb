"""The package layers: dependencies point one way and no modules import each other in a cycle.

``bench`` (the harness) imports ``models`` and ``classical``; ``classical`` imports
``models.registry`` (and ``models.threads``); ``models`` imports neither; ``models.registry``
imports nothing of the project. Checked twice: statically over every import statement (those
inside functions too), and dynamically by importing each package alone in a fresh interpreter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bench", "models", "classical")
#: package -> the project packages it may import
ALLOWED = {
    "models": {"models"},
    "classical": {"classical", "models"},
    "bench": {"bench", "models", "classical"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Project modules that ``path`` imports anywhere in its body (resolved to modules)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found.update(n for n in names if n.split(".")[0] in PACKAGES)
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        # ``from pkg import sub`` names a module when pkg.sub is one, else an attribute of pkg
        graph[name] = {m if m in files else m.rpartition(".")[0] for m in _imports(path)}
        graph[name] = {m for m in graph[name] if m in files and m != name}
    return graph


def test_packages_import_only_the_layers_below_them():
    bad = [
        f"{mod} imports {dep}"
        for mod, deps in _graph().items()
        for dep in sorted(deps)
        if dep.split(".")[0] not in ALLOWED[mod.split(".")[0]]
    ]
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_the_registry_imports_nothing_of_the_project():
    assert _graph()["models.registry"] == set()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _package_inits(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without edges into a package's ``__init__`` from its own submodules: a
    submodule importing a sibling through its package is not a cycle of design."""
    return {
        m: {d for d in deps if not (m.startswith(d + ".") and d in PACKAGES)}
        for m, deps in graph.items()
    }


def test_no_import_cycles():
    cycles = _cycles(_package_inits(_graph()))
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("models", ("bench", "classical")),
        ("classical", ("bench",)),
    ],
)
def test_importing_a_package_alone_pulls_in_no_upper_layer(package, forbidden):
    code = f"import sys, {package}\nprint('\\n'.join(sorted(m for m in sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    pulled = [m for m in loaded for f in forbidden if m == f or m.startswith(f + ".")]
    assert not pulled, f"importing {package} loaded {pulled}"


def test_the_harness_sees_every_system():
    code = "import bench.systems as s\nprint(' '.join(sorted({i.kind for i in s.list_systems()})))"
    kinds = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert kinds == ["classical", "model"]


MAX_LINES = 700


def test_no_module_is_over_700_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules (one concern each): {long}"
