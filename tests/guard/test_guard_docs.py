"""The guard's documentation stays true: the --help block, one section per hook, and the worked
example plugin shown in the author's guide is the one the tests install."""

from __future__ import annotations

import inspect
import pathlib
import re
import subprocess

from conftest import find_command
from remote_http_launcher.policy import hookspecs

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PLUGIN = pathlib.Path(__file__).parent / "example_policy_plugin"


def _help_block(page: pathlib.Path) -> str:
    text = page.read_text(encoding="utf-8")
    section = re.search(r"^## --help[ \t]*\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert section, f"{page.name}: no '## --help' section"
    block = re.search(r"^```text\n(.*?)^```[ \t]*$", section.group(1), re.MULTILINE | re.DOTALL)
    assert block, f"{page.name}: no ```text block under '## --help'"
    return block.group(1)


def test_reference_page_help_is_the_installed_help() -> None:
    page = DOCS / "reference" / "rhl-guard.md"
    proc = subprocess.run(
        [find_command("rhl-guard"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0
    assert _help_block(page) == proc.stdout, (
        "docs/reference/rhl-guard.md '## --help' differs from `rhl-guard --help`"
    )
    text = page.read_text(encoding="utf-8")
    positions = [
        text.index(f"\n{s}\n") for s in ("## --help", "## Behaviour", "## Exit codes", "## Examples")
    ]
    assert positions == sorted(positions)


def _hooks() -> list[str]:
    return [
        name
        for name, obj in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(obj, f"{hookspecs.PROJECT}_spec")
    ]


def test_every_hook_has_a_section_in_the_plugin_guide() -> None:
    hooks = _hooks()
    assert hooks == ["register_path_policies"]
    text = (DOCS / "guard" / "policy-plugins.md").read_text(encoding="utf-8")
    for hook in hooks:
        assert re.search(rf"^###? `?{hook}\(", text, re.MULTILINE), f"no section for hook {hook}"


def test_worked_example_in_the_guide_is_the_tested_plugin() -> None:
    text = (DOCS / "guard" / "policy-plugins.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```(toml|python)\n(.*?)^```[ \t]*$", text, re.MULTILINE | re.DOTALL)
    shown = {lang: body for lang, body in blocks if lang == "toml" or "class OwnedPolicy" in body}
    assert shown["toml"] == (PLUGIN / "pyproject.toml").read_text(encoding="utf-8")
    assert shown["python"] == (PLUGIN / "src" / "rhl_policy_owned" / "__init__.py").read_text(
        encoding="utf-8"
    )


def test_admin_guide_names_every_guard_option() -> None:
    from remote_http_launcher.guard import FLAG_OPTIONS, VALUE_OPTIONS

    text = (DOCS / "guard" / "admin-guide.md").read_text(encoding="utf-8")
    reference = (DOCS / "reference" / "rhl-guard.md").read_text(encoding="utf-8")
    for option in [*VALUE_OPTIONS, *FLAG_OPTIONS]:
        assert option in reference, option
        if option not in ("-h", "--help", "--version"):
            assert option in text, f"admin guide does not mention {option}"


def test_helper_table_in_the_docs_is_the_guards_table() -> None:
    """One list (issue 13, point 6): the reference page lists exactly the guard's table,
    between markers, and no guard page states a count of helpers that could go stale."""
    from remote_http_launcher.guard._decide import TABLE

    reference = (DOCS / "reference" / "rhl-guard.md").read_text(encoding="utf-8")
    listed = re.search(r"<!-- helper-table -->(.*?)<!-- /helper-table -->", reference, re.DOTALL)
    assert listed, "docs/reference/rhl-guard.md: no <!-- helper-table --> list"
    expected = ", ".join(f"`{name}`" for name in sorted(TABLE))
    assert listed.group(1) == expected, f"replace the list in docs/reference/rhl-guard.md by:\n{expected}"
    for page in (DOCS / "reference" / "rhl-guard.md", DOCS / "guard" / "admin-guide.md"):
        text = page.read_text(encoding="utf-8")
        counted = re.findall(r"\b(\d+) (?:helpers|names)\b", text)
        assert not counted, f"{page.name} counts helpers ({counted}): refer to the table instead"
