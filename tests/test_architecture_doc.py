"""``docs/architecture.md`` names every module of both packages, and nothing that is gone.

The page is the map of the code (issue 16, point 8); a map that misses a room, or shows one
that was pulled down, sends the next reader the wrong way. The rule, also stated at the end
of the page ("Keeping this page true"):

* **Modules.** Every ``.py`` file under ``packages/*/src/<package>/`` is a module, private
  ones (``_x.py``) and ``__main__.py`` included. Its dotted name is its path with ``.`` for
  ``/`` and no ``.py``; a package's ``__init__.py`` stands for the package itself
  (``config/__init__.py`` is ``seamless_config_services.config``, the top ``__init__.py`` is
  ``seamless_config_services``).
* **Mentioned** means: an inline code span of the page (outside fenced blocks) that is
  exactly the module's dotted name, anywhere on the page; or exactly its path relative to
  its package (``config/parsed.py``; a sub-package as ``config/`` or ``config/__init__.py``)
  inside that package's section. A package's section runs from a heading that holds the
  package's import name as a code span down to the next heading of the same or a higher
  level. (The same relative path can exist in both packages, e.g. ``cli/``: the section says
  which one is meant.)
* **Names something that does not exist** means any of:

  - a dotted name that starts with a package's import name, anywhere on the page (prose,
    tables, diagrams), that is neither a module nor a name a module defines
    (``remote_http_launcher.commands.invoke`` is fine; ``seamless_config_services.fast`` is not);
  - a code span that is a relative path ending in ``.py`` or ``/``, which is neither a file or
    directory of the repository nor a module or sub-package of the section's package (outside
    a package's section: of either package);
  - a code span that starts with a top-level entry of the repository (``tests/...``,
    ``docs/...``) and does not exist; ``path.py::name`` also needs ``name`` defined in the file;
  - a short dotted code span whose first part is the name of one of our modules or
    sub-packages (``dispatch.send_ahead``, ``launch.cli.main``, ``state.write_atomic``) and
    that resolves in neither package. File names (``clusters.yaml``) are not dotted names.

Everything is read from the source with :mod:`ast`; nothing is imported.
"""

from __future__ import annotations

import ast
import pathlib
import re
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PACKAGE_DIRS = {init.parent.name: init.parent for init in sorted(ROOT.glob("packages/*/src/*/__init__.py"))}

#: The last part of a dotted code span that makes it a file name, not a module path.
FILE_SUFFIXES = {"yaml", "yml", "json", "md", "db", "toml", "txt", "log", "cfg", "marshal", "sh", "lock"}

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SPAN = re.compile(r"`([^`\n]+)`")
_DOTTED_SPAN = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_RELATIVE_PATH = re.compile(r"^(?![~/$.])[\w.-]+(?:/[\w.-]+)*(?:\.py|/)$")
_REPO_PATH = re.compile(r"^[\w-][\w.-]*(?:/[\w.-]+)*/?(?:::\w+)?$")
_PACKAGE_NAME_IN_TEXT = re.compile(rf"(?<![\w.])({'|'.join(PACKAGE_DIRS)})((?:\.[A-Za-z_]\w*)*)")


@dataclass(frozen=True)
class Module:
    package: str  # the import name of the distribution's top package
    dotted: str
    relative: frozenset[str]  # the paths relative to the package that name it
    file: pathlib.Path


def all_modules() -> dict[str, Module]:
    """Dotted name -> module, for every module of both packages."""
    found: dict[str, Module] = {}
    for package, root in PACKAGE_DIRS.items():
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            relative = path.relative_to(root)
            parts = list(relative.with_suffix("").parts)
            names = {relative.as_posix()}
            if parts[-1] == "__init__":
                parts.pop()
                names = {relative.as_posix(), "/".join(parts) + "/"} if parts else {"__init__.py"}
            dotted = ".".join([package, *parts])
            found[dotted] = Module(package, dotted, frozenset(names), path)
    return found


def _bound_names(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Names a module (or class) body binds, looking into if/try/with blocks, not functions."""
    names: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names[leaf.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            inner = list(node.body) + list(getattr(node, "orelse", [])) + list(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                inner += handler.body
            names.update(_bound_names(inner))
    return names


class Resolver:
    """Does a dotted name lead to one of our modules, or to a name one of them defines?"""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self._trees: dict[str, ast.Module] = {}
        self.by_last: dict[str, list[str]] = {}
        for dotted in modules:
            self.by_last.setdefault(dotted.rpartition(".")[2], []).append(dotted)

    def _tree(self, dotted: str) -> ast.Module:
        if dotted not in self._trees:
            self._trees[dotted] = ast.parse(self.modules[dotted].file.read_text(encoding="utf-8"))
        return self._trees[dotted]

    def _defines(self, dotted: str, rest: list[str]) -> bool:
        if not rest:
            return True
        tree = self._tree(dotted)
        names = _bound_names(tree.body)
        if rest[0] not in names:
            lazy = "__getattr__" in names and any(
                isinstance(node, ast.Constant) and node.value == rest[0] for node in ast.walk(tree)
            )
            return lazy
        node = names[rest[0]]
        if len(rest) > 1 and isinstance(node, ast.ClassDef) and not node.bases:
            return rest[1] in _bound_names(node.body) or any(
                isinstance(n, ast.Attribute) and n.attr == rest[1] for n in ast.walk(node)
            )
        return True

    def resolves(self, parts: list[str]) -> bool:
        """``parts`` from a package's import name on: the longest module prefix, then names."""
        for end in range(len(parts), 0, -1):
            dotted = ".".join(parts[:end])
            if dotted in self.modules:
                return self._defines(dotted, parts[end:])
        return False

    def names_our_module(self, first: str) -> bool:
        return first in self.by_last

    def resolves_short(self, parts: list[str]) -> bool:
        """``dispatch.send_ahead``: the first part is the last part of one of our modules."""
        return any(self.resolves([*base.split("."), *parts[1:]]) for base in self.by_last.get(parts[0], []))


@dataclass
class Span:
    text: str
    line: int
    package: str | None  # the package whose section the span is in


@dataclass
class Page:
    text: str
    spans: list[Span] = field(default_factory=list)


def read_page(text: str) -> Page:
    """The page's code spans outside fenced blocks, each with the package section it is in."""
    page = Page(text)
    fenced = False
    sections: list[tuple[int, str | None]] = []  # (heading level, package or None)
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            while sections and sections[-1][0] >= level:
                sections.pop()
            named = [s for s in _SPAN.findall(heading.group(2)) if s in PACKAGE_DIRS]
            sections.append((level, named[0] if len(named) == 1 else None))
        package = next((p for _, p in reversed(sections) if p is not None), None)
        for span in _SPAN.findall(line):
            page.spans.append(Span(span.strip(), number, package))
    return page


def _bare(span: str) -> str:
    """A call written in a span (``invoke(name, argv)``, ``main()``) names what it calls."""
    return span.split("(", 1)[0] if span.endswith(")") else span


def mentioned(page: Page, modules: dict[str, Module]) -> set[str]:
    found: set[str] = set()
    by_relative: dict[tuple[str, str], str] = {}
    for module in modules.values():
        for relative in module.relative:
            by_relative[(module.package, relative)] = module.dotted
    for span in page.spans:
        text = _bare(span.text)
        if text in modules:
            found.add(text)
        if span.package is not None and (span.package, text) in by_relative:
            found.add(by_relative[(span.package, text)])
    return found


def _repo_path_exists(text: str) -> bool | None:
    """None: not a path of the repository; else whether it (and a ``::name`` in it) exists."""
    if not _REPO_PATH.match(text):
        return None  # `./dev test`, `~/.cache/...`: a command or a run-time path
    path, _, name = text.partition("::")
    if "/" not in path.rstrip("/"):
        return True if (ROOT / path).exists() else None  # noxfile.py, benchmarks/
    if not (ROOT / path.split("/", 1)[0]).is_dir():
        return None  # commands/_run.py: relative to a package, not to the repository
    target = ROOT / path
    if not target.exists():
        return False
    if name:
        definition = rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b"
        return bool(re.search(definition, target.read_text(encoding="utf-8"), re.M))
    return True


def dead_names(page: Page, modules: dict[str, Module]) -> list[str]:
    """Every place where the page names a module (or a name in one) that does not exist."""
    resolver = Resolver(modules)
    problems: list[str] = []
    for number, line in enumerate(page.text.splitlines(), 1):
        for match in _PACKAGE_NAME_IN_TEXT.finditer(line):
            parts = match.group(0).split(".")
            if not resolver.resolves(parts):
                problems.append(f"line {number}: {match.group(0)!r} is no module (or name in one) of ours")
    relative_paths = {(m.package, r) for m in modules.values() for r in m.relative}
    for span in page.spans:
        text = _bare(span.text)
        where = f"line {span.line}: `{span.text}`"
        repo = _repo_path_exists(text)
        if repo is False:
            problems.append(f"{where} does not exist in the repository")
            continue
        if repo is True:
            continue
        if _RELATIVE_PATH.match(text):
            packages = [span.package] if span.package else list(PACKAGE_DIRS)
            if not any((package, text) in relative_paths for package in packages):
                inside = f"in {span.package}" if span.package else "in either package"
                problems.append(f"{where} is no module or sub-package {inside}")
            continue
        if _DOTTED_SPAN.match(text):
            parts = text.split(".")
            if parts[0] in PACKAGE_DIRS or parts[-1] in FILE_SUFFIXES:
                continue  # whole dotted names are checked above, file names are not modules
            if resolver.names_our_module(parts[0]) and not resolver.resolves_short(parts):
                problems.append(f"{where} resolves in neither package")
    return problems


def test_every_module_is_named_on_the_page() -> None:
    modules = all_modules()
    assert len(modules) > 100, "the module scan found too little: is the layout still packages/*/src/*?"
    found = mentioned(read_page(DOC.read_text(encoding="utf-8")), modules)
    missing = [
        f"{dotted} (as `{dotted}` anywhere, or as {' or '.join(f'`{r}`' for r in sorted(m.relative))} "
        f"in the section of `{m.package}`)"
        if m.relative
        else f"{dotted} (as `{dotted}`)"
        for dotted, m in sorted(modules.items())
        if dotted not in found
    ]
    assert not missing, "docs/architecture.md does not name these modules:\n" + "\n".join(missing)


def test_the_page_names_nothing_that_does_not_exist() -> None:
    problems = dead_names(read_page(DOC.read_text(encoding="utf-8")), all_modules())
    assert not problems, "docs/architecture.md names what is not there:\n" + "\n".join(problems)


def test_the_checker_sees_mentions_sections_and_dead_names() -> None:
    """The rule is applied as stated: guards against the two tests above passing vacuously."""
    page = read_page(
        "# Map\n"
        "`seamless_config_services.api` and `state.py` (outside any section: not a mention).\n"
        "## Rooms of `remote_http_launcher`\n"
        "- `state.py`, `commands/`, `cli/_out.py`, `commands.invoke(name, argv)`, `dispatch.gone`\n"
        "### Deeper, still the same section\n"
        "- `bodies/ps.py`\n"
        "```\nremote_http_launcher.transport.run_many and seamless_config_services.fast\n```\n"
        "## Rooms of `seamless_config_services`\n"
        "- `cli/`, `api.ps`, `clusters.yaml`, `os.fork`, `tests/test_structure.py::no_such_test`\n"
    )
    modules = all_modules()
    found = mentioned(page, modules)
    assert {
        "seamless_config_services.api",
        "remote_http_launcher.state",
        "remote_http_launcher.commands",
        "remote_http_launcher.bodies.ps",
        "seamless_config_services.cli",
    } <= found
    assert "seamless_config_services.state" not in modules
    assert "remote_http_launcher.cli" not in found  # `cli/` was named in the client's section
    assert "remote_http_launcher.transport" not in found  # a fenced block holds no mention
    problems = dead_names(page, modules)
    expected = [
        "line 8: 'seamless_config_services.fast'",
        "line 4: `cli/_out.py`",
        "line 4: `dispatch.gone`",
        "line 11: `tests/test_structure.py::no_such_test`",
    ]
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected):
        assert problem.startswith(start), problems
