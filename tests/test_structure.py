"""The shape of the code: what may import what (issue 16).

* Only public names cross the package line: no module of ``seamless_config_services``
  imports an underscored name of ``remote_http_launcher`` (a module such as
  ``cli._fastparse`` or a name such as ``dispatch._control_dir``). The client talks to the
  server through its public API (``remote_http_launcher.commands``, ``transport``,
  ``output``, ...) exactly as it would over SSH: argv and JSON.
* No import cycle between modules of either package, function-level imports included: a
  function-level import that closes a cycle only hides it until the day someone moves it to
  the top of the file (or a test imports the modules in another order).

Both are read from the source with :mod:`ast`, so they hold for every import statement, not
only for the ones a test run happens to execute. Imports under ``if TYPE_CHECKING:`` count
too: a cycle through a type annotation is still two modules that each need the other.
"""

from __future__ import annotations

import ast
import itertools
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

REPO = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = {
    "remote_http_launcher": REPO / "packages" / "remote-http-launcher" / "src" / "remote_http_launcher",
    "seamless_config_services": REPO
    / "packages"
    / "seamless-config-services"
    / "src"
    / "seamless_config_services",
}
CLIENT, SERVER = "seamless_config_services", "remote_http_launcher"


@dataclass(frozen=True)
class Import:
    """One imported module (and the name taken from it, for ``from X import name``)."""

    module: str  # the importing module
    target: str  # the module that is imported (resolved, absolute)
    name: str | None  # ``from target import name``: name; else None
    line: int

    def where(self) -> str:
        return f"{self.module}:{self.line}"


def module_files() -> dict[str, pathlib.Path]:
    """Dotted module name -> file, for every module of both packages."""
    found: dict[str, pathlib.Path] = {}
    for package, root in PACKAGES.items():
        for path in sorted(root.rglob("*.py")):
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def absolute(module: str, level: int, target: str | None) -> str:
    """``from ..x import y`` in ``module``: the absolute name of ``..x``."""
    if level == 0:
        assert target is not None
        return target
    base = module.split(".")
    if not is_package(module):
        base.pop()  # a plain module's relative imports start at its package
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(module: str) -> Iterator[Import]:
    """Every import statement of ``module``, at any depth (functions, ``if`` blocks, ...)."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            target = absolute(module, node.level, node.module)
            for alias in node.names:
                yield Import(module, target, alias.name, node.lineno)


def edge_target(imp: Import) -> str | None:
    """The module of one of the two packages that this import loads, or None (stdlib,
    third-party). ``from pkg import sub`` loads the submodule ``pkg.sub`` when there is one."""
    if imp.name is not None and f"{imp.target}.{imp.name}" in MODULES:
        return f"{imp.target}.{imp.name}"
    name = imp.target
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def graph() -> dict[str, dict[str, Import]]:
    """module -> {imported module: the first import statement that imports it}."""
    edges: dict[str, dict[str, Import]] = {module: {} for module in MODULES}
    for module in MODULES:
        for imp in imports_of(module):
            target = edge_target(imp)
            if target is not None and target != module:
                edges[module].setdefault(target, imp)
    return edges


def cycles(edges: dict[str, dict[str, Import]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as one
    concrete cycle through its modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # Iterative depth-first search (no recursion limit for long chains).
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return [shortest_cycle(edges, component) for component in sorted(components)]


def shortest_cycle(edges: dict[str, dict[str, Import]], component: list[str]) -> list[str]:
    """A shortest cycle through the first module of ``component`` (breadth-first)."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    queue = [start]
    for node in queue:
        for child in sorted(edges[node]):
            if child not in members:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle in {component}")  # pragma: no cover - Tarjan found one


def describe(edges: dict[str, dict[str, Import]], cycle: list[str]) -> str:
    steps = [f"{a} -> {b} ({edges[a][b].where()})" for a, b in itertools.pairwise(cycle)]
    return "\n    ".join(steps)


def test_the_client_imports_no_underscored_name_of_the_server() -> None:
    found = []
    for module in MODULES:
        if not module.startswith(CLIENT):
            continue
        for imp in imports_of(module):
            if imp.target != SERVER and not imp.target.startswith(SERVER + "."):
                continue
            private = [part for part in imp.target.split(".") if part.startswith("_")]
            if imp.name is not None and imp.name.startswith("_") and not imp.name.startswith("__"):
                private.append(imp.name)
            if private:
                what = imp.target if imp.name is None else f"{imp.target}.{imp.name}"
                found.append(f"{imp.where()}: {what}")
    assert not found, "the client imports private names of remote_http_launcher:\n  " + "\n  ".join(found)


def test_no_import_cycle_between_modules() -> None:
    edges = graph()
    found = cycles(edges)
    assert not found, "import cycles (function-level and TYPE_CHECKING imports included):\n  " + "\n  ".join(
        describe(edges, cycle) for cycle in found
    )


def test_the_cycle_finder_finds_a_cycle_and_resolves_relative_imports() -> None:
    """The checks above would pass vacuously if the graph were empty or wrong."""
    edges = graph()
    # ``from .errors import ...`` in a plain module and ``from ..model import ...`` in a
    # subpackage resolve to the right modules.
    assert f"{CLIENT}.errors" in edges[f"{CLIENT}.dispatch"]
    assert f"{CLIENT}.model" in edges[f"{CLIENT}.config.loader"]
    assert SERVER + ".paths" in edges[f"{CLIENT}.resolve"]
    fake = {
        "a": {"b": Import("a", "b", None, 1)},
        "b": {"c": Import("b", "c", None, 2)},
        "c": {"a": Import("c", "a", None, 3), "d": Import("c", "d", None, 4)},
        "d": {},
    }
    assert cycles(fake) == [["a", "b", "c", "a"]]
