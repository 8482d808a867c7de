"""Every ``seamless-service-*`` command is a versioned machine interface (issue 17, points 1
and 6): ``--json`` prints documents that name their schema, ``--json-schema`` prints that
schema (with its versioned ``$id``) without reading anything, the actions print the same
documents as the MCP tools, and every ``--help`` states the exit codes.

Through the installed commands, on a real local cluster (real hashserver, launched through
the launcher). Every JSON read here goes through ``Result.json_lines()``/``Result.json()``,
which validate it against the shipped schema (tests/conftest.py).
"""

from __future__ import annotations

import json
import pathlib
import subprocess
from collections.abc import Iterator

import jsonschema
import pytest
from project_support import Project

from conftest import Result, _kill_leftovers, find_command, validate_documents
from remote_http_launcher.commands import COMMANDS as COMMAND_TABLE
from remote_http_launcher.commands import HELPERS
from seamless_config_services import schemas
from seamless_config_services.cli import COMMANDS

HS = "hashserver-here-rw-myproj"
#: What each command's --json-schema prints: the schema of what its --json prints.
SCHEMA_OF = {
    **{name: name for name in COMMANDS},
    "seamless-service-ps": "seamless-service-ps-row",  # --json prints NDJSON rows
}


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    project = Project(tmp_path)
    yield project
    _kill_leftovers(project.state / "server")


def run_in(directory: pathlib.Path, *argv: str) -> Result:
    proc = subprocess.run(
        [find_command(argv[0]), *argv[1:]],
        cwd=directory,
        env={"PATH": "/usr/bin:/bin", "HOME": str(directory), "REMOTE_HTTP_LAUNCHER_DIR": str(directory)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_json_schema_prints_the_versioned_schema_and_reads_nothing(
    command: str, tmp_path: pathlib.Path
) -> None:
    """From a directory without any configuration (no clusters.yaml, no seamless.yaml): the
    schema, exit 0, nothing on stderr, nothing written."""
    result = run_in(tmp_path, command, "--json-schema")
    assert (result.returncode, result.stderr) == (0, ""), result
    schema = json.loads(result.stdout)
    name = SCHEMA_OF[command]
    assert schema["$id"] == f"urn:seamless-config-services:schema:{name}/1"
    assert schema == schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    # Before the selection is checked: a bad --service does not matter.
    assert run_in(tmp_path, command, "--json-schema", "--service", "nope").returncode == 0


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_states_json_and_exit_codes(command: str, tmp_path: pathlib.Path) -> None:
    text = run_in(tmp_path, command, "--help").stdout
    assert "\n  --json " in text and "\n  --json-schema " in text, text
    paragraph = text.split("\n\n  Exit codes: ", 1)
    assert len(paragraph) == 2, f"{command} --help has no 'Exit codes:' paragraph"
    codes = " ".join(paragraph[1].split("\n\n", 1)[0].split())
    usage = "64 usage error" if command == "seamless-service-doctor" else "2 usage error"
    assert codes.startswith("0 ") and usage in codes and "70 internal error" in codes, codes


@pytest.mark.parametrize("helper", sorted(HELPERS))
def test_every_rhl_helper_help_states_its_exit_codes(helper: str, tmp_path: pathlib.Path) -> None:
    """The server layer too: each helper's --help ends its description with the codes of its
    command-table entry (the same entry its parser and docs/reference/<helper>.md use)."""
    text = run_in(tmp_path, helper, "--help").stdout
    description = text.split("\n\nOptions:", 1)[0] if "\n\nOptions:" in text else text
    last = " ".join(description.rsplit("\n\n", 1)[1].split())
    codes = COMMAND_TABLE[helper].exit_codes
    assert last == "Exit codes: " + "; ".join(f"{c} {what}" for c, what in sorted(codes.items())) + "."


def test_actions_print_the_documents_the_mcp_tools_return(project: Project) -> None:
    project.start("hashserver")
    resolved = project.ok("seamless-service-resolve", "--service", "hashserver")
    documented = project.ok("seamless-service-resolve", "--service", "hashserver", "--json")
    assert "schema" not in resolved.json_lines()[0]  # the plain line stays seamless-config 0.3.2's
    assert documented.json_lines() == [{"schema": "seamless-service-resolve/1", **resolved.json_lines()[0]}]

    state = project.ok("seamless-service-inspect", "--service", "hashserver").json()
    [inspected] = project.ok("seamless-service-inspect", "--service", "hashserver", "--json").json_lines()
    assert inspected == {
        "schema": "seamless-service-inspect/1",
        "key": HS,
        "host": "localhost",
        "state": state,
    }

    [log] = project.ok(
        "seamless-service-logs", "--service", "hashserver", "--json", "--tail", "3"
    ).json_lines()
    plain = project.ok("seamless-service-logs", "--service", "hashserver", "--tail", "3").stdout
    assert (log["schema"], log["key"], log["tail"], log["max_bytes"]) == (
        "seamless-service-logs/1",
        HS,
        3,
        65536,
    )
    assert (log["text"], log["lines"], log["truncated"]) == (plain, len(plain.splitlines()), False)

    stopped = project.run("seamless-service-stop", "--service", "hashserver", "--json")
    assert (stopped.returncode, stopped.stderr) == (0, "")
    assert stopped.json_lines() == [
        {
            "schema": "seamless-service-stop/1",
            "keys": [HS],
            "lines": [f"{HS}: stopped"],
            "problems": [],
            "exit_code": 0,
            "results": [{"key": HS, "status": "stopped"}],
        }
    ]
    again = project.ok("seamless-service-stop", "--service", "hashserver", "--json").json_lines()
    assert again[0]["results"] == [{"key": HS, "status": "already gone"}]

    removed = project.run("seamless-service-rm", "--service", "hashserver", "--server", "--json")
    assert (removed.returncode, removed.stderr) == (0, "")
    [rm] = removed.json_lines()
    server_file = str(project.state / "server" / f"{HS}.json")
    assert (rm["schema"], rm["keys"], rm["removed"], rm["client"], rm["server"]) == (
        "seamless-service-rm/1",
        [HS],
        [server_file],
        False,
        True,
    )
    assert rm["lines"] == [f"removed {server_file}"]

    cleared = project.run("seamless-service-clear", "--service", "hashserver", "--json")
    assert (cleared.returncode, cleared.stderr) == (0, "")
    [clear] = cleared.json_lines()
    assert (clear["schema"], clear["cleared"], clear["force"], clear["exit_code"]) == (
        "seamless-service-clear/1",
        True,
        False,
        0,
    )
    assert clear["lines"] == [f"removed {clear['removed']} item(s) from {clear['path']}"]


def test_json_refusals_are_one_line_and_the_usual_exit_code(project: Project) -> None:
    """A refused --json action prints no document: its one line on stderr, its exit code."""
    refused = project.run("seamless-service-clear", "--service", "jobserver", "--json")
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("seamless-service-clear: ")
    follow = project.run("seamless-service-logs", "--service", "hashserver", "--json", "--follow")
    assert (follow.returncode, follow.stdout) == (2, "")
    assert follow.stderr == (
        "seamless-service-logs: --json and --follow cannot be combined (--json prints one bounded document)\n"
    )
    missing = project.run("seamless-service-stop", "--json")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == "seamless-service-stop: --service or --cluster is required\n"


def test_the_tests_validation_catches_a_wrong_document() -> None:
    """tests/conftest.py's check is not a no-op: a missing field, a wrong type, and a version
    the package does not ship all fail; objects that name no schema of ours pass."""
    with pytest.raises(jsonschema.ValidationError):
        validate_documents({"schema": "seamless-service-stop/1", "keys": []})
    with pytest.raises(jsonschema.ValidationError):
        validate_documents([{"rows": [{"schema": "seamless-service-ps-row/1", "key": 3}]}])
    with pytest.raises(AssertionError, match="ships seamless-service-stop/1"):
        validate_documents({"schema": "seamless-service-stop/2"})
    assert validate_documents({"schema": "other/1", "x": 1}) == {"schema": "other/1", "x": 1}
    # Any command's Result is checked when made, also where a test parses stdout itself.
    with pytest.raises(jsonschema.ValidationError):
        Result(0, 'text first\n{"schema": "seamless-service-stop/1", "keys": []}\n', "")
    with pytest.raises(jsonschema.ValidationError):
        Result(2, json.dumps({"schema": "seamless-service-logs/1"}, indent=2), "")
    assert Result(0, "not json\n{}\n", "").stdout == "not json\n{}\n"
