"""The documentation stays true: help blocks, the fast --help text, and links.

* every helper and every seamless-service-* command has docs/reference/<name>.md whose
  "## --help" block is the installed command's exact ``--help`` output;
* the installed --help is the command table's (remote_http_launcher.commands), and the
  scripts hold no copy of it (tests/rhl/test_commands_table.py checks help parity with click);
* shell completion works as docs/reference/shell-completion.md says;
* every page is reachable from docs/index.md and every relative link (and anchor) in docs/
  resolves;
* every hook of seamless-config-services has a heading in docs/services/plugins.md, and the
  copies of tested material (the worked examples of keys, the example plugin) are current.
"""

from __future__ import annotations

import ast
import inspect
import os
import pathlib
import re
import subprocess

import click
import pytest

from conftest import find_command
from remote_http_launcher.commands import COMMANDS, _click, _help
from remote_http_launcher.commands import HELPERS as COMMAND_MODULES
from seamless_config_services import hookspecs
from seamless_config_services.cli import COMMANDS as SERVICE_COMMAND_MODULES

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference"
HELPERS = sorted(COMMAND_MODULES)
SERVICE_COMMANDS = sorted(SERVICE_COMMAND_MODULES)
REQUIRED_SECTIONS = ("## --help", "## Behaviour", "## Exit codes", "## Examples")

# [text](target) — but not images, and not inside code spans/blocks (stripped first).
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")


def run_help(name: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "RHL_DEBUG")}
    proc = subprocess.run(
        [find_command(name), "--help"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def help_block(page: pathlib.Path) -> str:
    """The content of the first ```text block after the "## --help" heading."""
    text = page.read_text(encoding="utf-8")
    match = re.search(r"^## --help[ \t]*\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"{page.name}: no '## --help' section"
    block = re.search(r"^```text\n(.*?)^```[ \t]*$", match.group(1), re.MULTILINE | re.DOTALL)
    assert block, f"{page.name}: no ```text block under '## --help'"
    return block.group(1)


def relative_links(page: pathlib.Path) -> list[str]:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    text = _CODE_SPAN.sub("", text)
    links = []
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue  # external (http:, mailto:) or same-page anchor
        links.append(target)
    return links


def test_every_helper_is_in_command_modules() -> None:
    assert len(HELPERS) == 15


def test_every_service_command_is_in_commands() -> None:
    assert len(SERVICE_COMMANDS) == 10
    assert all(name.startswith("seamless-service-") for name in SERVICE_COMMANDS)


@pytest.mark.parametrize("name", HELPERS + SERVICE_COMMANDS)
def test_reference_page_exists_with_sections(name: str) -> None:
    page = REFERENCE / f"{name}.md"
    assert page.is_file(), f"missing {page.relative_to(ROOT)}"
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# {name}\n")
    positions = []
    for section in REQUIRED_SECTIONS:
        match = re.search(rf"^{re.escape(section)}[ \t]*$", text, re.MULTILINE)
        assert match, f"{page.name}: missing section {section!r}"
        positions.append(match.start())
    assert positions == sorted(positions), f"{page.name}: sections out of order"


@pytest.mark.parametrize("name", HELPERS + SERVICE_COMMANDS)
def test_help_block_matches_installed_command(name: str) -> None:
    expected = run_help(name)
    documented = help_block(REFERENCE / f"{name}.md")
    assert documented == expected, (
        f"docs/reference/{name}.md '## --help' block differs from `{name} --help`; "
        "paste the command's current output"
    )


@pytest.mark.parametrize("name", HELPERS)
def test_installed_help_is_the_command_tables(name: str) -> None:
    """One source of help: what the installed command prints is rendered from the table."""
    assert run_help(name) == _help.render(COMMANDS[name])


@pytest.mark.parametrize("name", HELPERS)
def test_shell_completion_works(name: str, tmp_path: pathlib.Path) -> None:
    """What docs/reference/shell-completion.md promises: a bash script, and option completion."""
    var = "_" + name.upper().replace("-", "_") + "_COMPLETE"
    base = {k: v for k, v in os.environ.items() if not k.endswith("_COMPLETE")}
    base["REMOTE_HTTP_LAUNCHER_DIR"] = str(tmp_path)  # a broken completion may run the command
    source = subprocess.run(
        [find_command(name)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, var: "bash_source"},
        stdin=subprocess.DEVNULL,
    )
    function = "_" + name.replace("-", "_") + "_completion"
    assert f"{function}()" in source.stdout, source.stdout[:200]
    answer = subprocess.run(
        [find_command(name)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, var: "bash_complete", "COMP_WORDS": f"{name} --", "COMP_CWORD": "1"},
        stdin=subprocess.DEVNULL,
    )
    offered = {line.split(",", 1)[1] for line in answer.stdout.splitlines() if line.startswith("plain,")}

    command = _click.build(name)
    expected = {
        opt for p in command.params if isinstance(p, click.Option) for opt in p.opts if opt.startswith("--")
    }
    assert expected <= offered, f"{name}: missing completions {sorted(expected - offered)}"


@pytest.mark.parametrize("name", HELPERS)
def test_helper_listed_in_overview_pages(name: str) -> None:
    for page in ("index.md", "reference/exit-codes.md", "reference/shell-completion.md"):
        text = (DOCS / page).read_text(encoding="utf-8")
        assert f"({'' if page != 'index.md' else 'reference/'}{name}.md)" in text, (
            f"docs/{page} does not link {name}"
        )


@pytest.mark.parametrize("name", SERVICE_COMMANDS)
def test_service_command_listed_in_overview_pages(name: str) -> None:
    for page in ("index.md", "reference/exit-codes.md"):
        text = (DOCS / page).read_text(encoding="utf-8")
        assert f"({'' if page != 'index.md' else 'reference/'}{name}.md)" in text, (
            f"docs/{page} does not link {name}"
        )


def test_index_links_exist_and_cover_every_page() -> None:
    index = DOCS / "index.md"
    linked = set()
    for target in relative_links(index):
        path = (index.parent / target.split("#", 1)[0]).resolve()
        if path.suffix == ".md":
            assert path.is_file(), f"docs/index.md links to missing {target}"
            linked.add(path)
    pages = {p.resolve() for p in DOCS.rglob("*.md")} - {index.resolve()}
    unlinked = sorted(str(p.relative_to(DOCS.resolve())) for p in pages - linked)
    assert not unlinked, f"pages not linked from docs/index.md: {unlinked}"


def _all_pages() -> list[pathlib.Path]:
    return sorted(DOCS.rglob("*.md"))


def anchors(page: pathlib.Path) -> set[str]:
    """GitHub-style anchors of the headings of ``page``."""
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    result = set()
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", text, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


@pytest.mark.parametrize("page", _all_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_relative_links_resolve(page: pathlib.Path) -> None:
    broken = []
    for target in [*relative_links(page), *same_page_anchors(page)]:
        path, _, fragment = target.partition("#")
        resolved = (page.parent / path) if path else page
        if not resolved.exists():
            broken.append(target)
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)}: broken links {broken}"


def same_page_anchors(page: pathlib.Path) -> list[str]:
    text = _CODE_SPAN.sub("", _FENCE.sub("", page.read_text(encoding="utf-8")))
    return [t for t in _LINK.findall(text) if t.startswith("#")]


def test_link_checker_sees_links() -> None:
    """Guard against a regex that silently matches nothing."""
    assert "reference/rhl-ps.md" in relative_links(DOCS / "index.md")


def test_launcher_reference_page_matches_help() -> None:
    page = REFERENCE / "remote-http-launcher.md"
    text = page.read_text(encoding="utf-8")
    positions = [text.index(section) for section in REQUIRED_SECTIONS]
    assert positions == sorted(positions)
    assert help_block(page) == run_help("remote-http-launcher")
    assert "remote-http-launcher" in COMMANDS  # listed in the table; it parses its own argv


# -- seamless-config-services: hooks and copies of tested material -----------------------------

PLUGINS_PAGE = DOCS / "services" / "plugins.md"
CONFIGURATION_PAGE = DOCS / "services" / "configuration.md"
EXAMPLE_PLUGIN = ROOT / "tests" / "plugins" / "seamless-example-service"


def hookspec_names() -> list[str]:
    """The functions of seamless_config_services.hookspecs marked with its hookspec marker."""
    marker = hookspecs.PROJECT + "_spec"
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if inspect.isfunction(value) and hasattr(value, marker)
    )


def headings(page: pathlib.Path) -> list[str]:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    return re.findall(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", text, re.MULTILINE)


def test_hookspecs_are_found() -> None:
    """Guard against a marker lookup that silently finds nothing."""
    assert "register_service_types" in hookspec_names()


@pytest.mark.parametrize("hook", hookspec_names())
def test_every_hook_has_a_heading_in_the_plugin_guide(hook: str) -> None:
    found = [h for h in headings(PLUGINS_PAGE) if hook in h]
    assert found, f"hook {hook!r} has no heading in docs/services/plugins.md: document it"


def fenced_blocks(page: pathlib.Path, language: str) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```[ \t]*$", text, re.MULTILINE | re.DOTALL)


def _string_constant(path: pathlib.Path, name: str) -> str:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [name]:
            value = ast.literal_eval(node.value)
            assert isinstance(value, str)
            return value
    raise AssertionError(f"{path.name} has no {name}")


def test_worked_examples_in_the_configuration_reference_are_the_tested_ones() -> None:
    """docs/services/configuration.md says its table of keys is tested: it must be the table
    (and cluster file) that tests/services/test_worked_examples.py resolves."""
    source = ROOT / "tests" / "services" / "test_worked_examples.py"
    text = CONFIGURATION_PAGE.read_text(encoding="utf-8")
    assert _string_constant(source, "TABLE") in text, "the worked-examples table differs from the tested one"
    assert _string_constant(source, "CLUSTERS_YAML") in fenced_blocks(CONFIGURATION_PAGE, "yaml"), (
        "the worked-examples cluster file differs from the tested one"
    )


def test_plugin_guide_shows_the_example_plugin_as_it_is() -> None:
    pyproject = (EXAMPLE_PLUGIN / "pyproject.toml").read_text(encoding="utf-8")
    module = (EXAMPLE_PLUGIN / "src" / "seamless_example_service" / "__init__.py").read_text(encoding="utf-8")
    page = "docs/services/plugins.md"
    assert pyproject in fenced_blocks(PLUGINS_PAGE, "toml"), f"{page}: the example's pyproject.toml is stale"
    assert module in fenced_blocks(PLUGINS_PAGE, "python"), f"{page}: the example plugin module is stale"


EXAMPLE_SCHEDULER = ROOT / "tests" / "plugins" / "seamless-example-scheduler"


def test_plugin_guide_shows_the_example_scheduler_as_it_is() -> None:
    page = "docs/services/plugins.md"
    pyproject = (EXAMPLE_SCHEDULER / "pyproject.toml").read_text(encoding="utf-8")
    assert pyproject in fenced_blocks(PLUGINS_PAGE, "toml"), f"{page}: the PBS pyproject.toml is stale"
    for module in ("seamless_example_scheduler", "seamless_example_pbs_jobs"):
        text = (EXAMPLE_SCHEDULER / "src" / module / "__init__.py").read_text(encoding="utf-8")
        assert text in fenced_blocks(PLUGINS_PAGE, "python"), f"{page}: the PBS example's {module} is stale"
