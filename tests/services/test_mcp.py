"""seamless-service-mcp, talked to as an agent host talks to it: the MCP SDK's own client
(``mcp.client.stdio``) starting the installed command over stdio.

On a real local cluster (real hashserver and seamless-database, launched through the
launcher): the tools' listing (names, input schemas, annotations), every read-only tool,
start/stop/rm/clear/restart and their refusals, bad arguments; every structured result is
validated against its shipped schema, and compared with what the command line prints for
the same selection. The server must keep answering after every error.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import jsonschema
import pytest

# Not importorskip: the tests session installs the mcp extra, and a missing SDK must fail.
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError
from project_support import Project, put_buffer

from conftest import _kill_leftovers, find_command
from seamless_config_services import schemas

ROOT = pathlib.Path(__file__).resolve().parents[2]
HS = "hashserver-here-rw-myproj"
DB = "database-here-rw-myproj"
TOOLS = ["ps", "resolve", "logs", "inspect", "doctor", "start", "stop", "rm", "clear", "restart"]
READ_ONLY = {"ps", "resolve", "logs", "inspect", "doctor"}
DESTRUCTIVE = {"stop", "rm", "clear", "restart"}
SELECTION = [
    "service",
    "cluster",
    "project",
    "subproject",
    "stage",
    "substage",
    "mode",
    "queue",
    "frontend_name",
    "workdir",
]
#: Every wait on the server is bounded (the tests' own timeout is the outer bound).
CALL_TIMEOUT = 120


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    project = Project(tmp_path)
    yield project
    _kill_leftovers(project.state / "server")


@asynccontextmanager
async def connect(project: Project) -> AsyncIterator[ClientSession]:
    """The installed server, started the way an agent host starts it: the project's env
    (HOME, REMOTE_HTTP_LAUNCHER_DIR), its directory as the working directory."""
    params = StdioServerParameters(
        command=find_command("seamless-service-mcp"), args=[], env=dict(project.env), cwd=str(project.dir)
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            with anyio.fail_after(60):
                await session.initialize()
            yield session


class Agent:
    """One session's calls, each bounded, each structured result validated."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session
        self.listed = False

    async def call(self, name: str, arguments: dict[str, Any]) -> tuple[bool, str, Any]:
        if not self.listed:  # the client validates results against the listed output schemas
            await self.session.list_tools()
            self.listed = True
        with anyio.fail_after(CALL_TIMEOUT):
            result = await self.session.call_tool(name, arguments)
        text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
        if result.structured_content is not None:
            validate(result.structured_content)
        return result.is_error, text, result.structured_content

    async def ok(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        is_error, text, document = await self.call(name, arguments)
        assert not is_error, (name, arguments, text)
        assert json.loads(text) == document  # the same document as text, for hosts without structured output
        return dict(document)

    async def refused(self, name: str, arguments: dict[str, Any]) -> str:
        is_error, text, _document = await self.call(name, arguments)
        assert is_error, (name, arguments, text)
        assert "Traceback" not in text
        return text


def validate(document: dict[str, Any]) -> None:
    name, _, version = document["schema"].partition("/")
    assert version == str(schemas.VERSIONS[name])
    validator = jsonschema.Draft202012Validator(schemas.load(name))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == [], (document["schema"], errors)


def session_run(project: Project, body: Any) -> None:
    async def main() -> None:
        async with connect(project) as session:
            await body(Agent(session))

    anyio.run(main)


def cli_stderr_line(project: Project, command: str, *args: str) -> tuple[int, str]:
    result = project.run(command, *args)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result
    return result.returncode, lines[0]


# -- the command ------------------------------------------------------------------------------


def test_help_is_the_reference_pages() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.run(
        [find_command("seamless-service-mcp"), "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    page = (ROOT / "docs/reference/seamless-service-mcp.md").read_text(encoding="utf-8")
    match = re.search(r"^## --help[ \t]*\n+```text\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    assert match, "no --help block"
    assert match.group(1) == proc.stdout


def test_without_the_extra_one_line_and_exit_1(tmp_path: pathlib.Path) -> None:
    """An environment without the SDK (simulated: an ``mcp`` that cannot be imported
    shadows it) gets one line naming the extra, exit 1, nothing on stdout."""
    (tmp_path / "mcp.py").write_text("raise ImportError(\"No module named 'mcp'\", name='mcp')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [find_command("seamless-service-mcp")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        "seamless-service-mcp: the MCP SDK is not installed; "
        "install it with: pip install 'seamless-config-services[mcp]'\n"
    )


def test_bad_option_is_a_usage_error() -> None:
    proc = subprocess.run(
        [find_command("seamless-service-mcp"), "--nope"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert proc.stderr.endswith("Error: No such option '--nope'.\n")


def test_every_schema_is_versioned_and_named_by_its_id() -> None:
    for name in schemas.names():
        schema = schemas.load(name)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$id"] == f"urn:seamless-config-services:schema:{name}/1"
        assert schema["properties"]["schema"] == {"const": f"{name}/1"}
        assert "schema" in schema["required"]
        assert '"$ref": "urn:' not in json.dumps(schema)  # self-contained
    # the doctor's schema is its own file, served, not copied
    assert not (
        ROOT
        / "packages/seamless-config-services/src/seamless_config_services/schemas"
        / "seamless-service-doctor.schema.json"
    ).exists()


# -- the listing ------------------------------------------------------------------------------


def test_tools_are_listed_with_schemas_and_annotations(project: Project) -> None:
    async def body(agent: Agent) -> None:
        listed = {tool.name: tool for tool in (await agent.session.list_tools()).tools}
        assert list(listed) == TOOLS
        for name, tool in listed.items():
            hints = tool.annotations
            assert hints is not None
            assert hints.read_only_hint is (name in READ_ONLY), name
            if name not in READ_ONLY:
                assert hints.destructive_hint is (name in DESTRUCTIVE), name
            schema = tool.input_schema
            assert schema["type"] == "object" and schema["additionalProperties"] is False
            assert list(schema["properties"])[: len(SELECTION)] == SELECTION
            assert schema["properties"]["service"]["enum"][:5] == [
                "hashserver",
                "database",
                "jobserver",
                "daskserver",
                "pure-daskserver",
            ]
            assert schema["properties"]["mode"]["enum"] == ["ro", "rw"]
            output = tool.output_schema
            assert output is not None
            jsonschema.Draft202012Validator.check_schema(output)
            assert output["$id"].startswith("urn:seamless-config-services:schema:seamless-service-")
            assert output["$id"].endswith("/1")
        assert listed["clear"].input_schema["required"] == ["service", "confirm"]
        assert listed["logs"].input_schema["properties"]["tail"]["maximum"] == 10_000
        assert listed["logs"].input_schema["properties"]["max_bytes"]["maximum"] == 1024 * 1024
        assert listed["doctor"].output_schema["properties"]["schema"] == {
            "const": "seamless-service-doctor/1"
        }
        prompts = (await agent.session.list_prompts()).prompts
        assert [p.name for p in prompts] == ["debug-seamless-services"]
        prompt = await agent.session.get_prompt("debug-seamless-services", {"project": "myproj"})
        text = prompt.messages[0].content.text  # type: ignore[union-attr]
        order = [
            text.index(word)
            for word in (
                "1. Call the `doctor`",
                "a. `stop`",
                "b. `logs`",
                "c. `rm`",
                "d. `clear`",
                "e. `restart`",
            )
        ]
        assert order == sorted(order), text

    session_run(project, body)


# -- read-only tools on a real local cluster ---------------------------------------------------


@pytest.mark.timeout(400)
def test_read_only_tools_answer_as_the_commands_do(project: Project) -> None:
    hs = project.start("hashserver")
    project.start("database")
    put_buffer(hs["port"], b"a buffer for the mcp test")
    cli_resolve = project.ok("seamless-service-resolve", "--service", "hashserver").json_lines()[0]
    cli_rows = project.ok("seamless-service-ps", "--cluster", "here", "--json").json_lines()
    cli_state = json.loads(project.ok("seamless-service-inspect", "--service", "database").stdout)

    async def body(agent: Agent) -> None:
        resolved = await agent.ok("resolve", {"service": "hashserver"})
        assert resolved == {"schema": "seamless-service-resolve/1", **cli_resolve}

        listing = await agent.ok("ps", {"cluster": "here"})
        assert (listing["view"], listing["exit_code"], listing["problems"]) == ("cluster", 0, [])
        # (uptime is computed when listed: it may tick between the two listings)
        assert [{k: v for k, v in row.items() if k != "uptime"} for row in listing["rows"]] == [
            {k: v for k, v in row.items() if k != "uptime"} for row in cli_rows
        ]
        assert {row["key"]: row["process"] for row in listing["rows"] if row["key"]} == {
            HS: "running",
            DB: "running",
        }
        running = await agent.ok("ps", {"cluster": "here", "status": "running", "server": True})
        assert sorted(row["key"] for row in running["rows"]) == sorted([DB, HS])

        inspected = await agent.ok("inspect", {"service": "database"})
        assert (inspected["key"], inspected["host"]) == (DB, "localhost")
        assert inspected["state"]["pid"] == cli_state["pid"]
        assert inspected["state"]["status"] == "running"

        log = await agent.ok("logs", {"service": "hashserver", "tail": 5})
        assert (log["key"], log["tail"], log["truncated"]) == (HS, 5, False)
        assert 0 < log["lines"] <= 5
        cli_log = project.ok("seamless-service-logs", "--service", "hashserver", "--tail", "5").stdout
        assert log["text"] == cli_log
        capped = await agent.ok("logs", {"service": "hashserver", "tail": 100, "max_bytes": 40})
        assert capped["truncated"] is True and len(capped["text"].encode()) <= 40

        report = await agent.ok("doctor", {})
        assert report["schema"] == "seamless-service-doctor/1"
        assert [c["id"] for c in report["checks"]] == [
            "configuration",
            "reachability",
            "services",
            "logs",
            "false-pass",
            "leftovers",
        ]
        assert set(report["selection"]["keys"]) >= {HS, DB}
        assert report["fix_requested"] is False

    session_run(project, body)


# -- actions and refusals ---------------------------------------------------------------------


@pytest.mark.timeout(600)
def test_start_stop_rm_clear_restart_and_the_refusals(project: Project) -> None:
    async def body(agent: Agent) -> None:
        started = await agent.ok("start", {"service": "hashserver"})
        assert (started["key"], started["host"]) == (HS, "localhost")
        put_buffer(started["port"], b"cached, so the cache is warm")
        buffers = project.local_buffers / "myproj"
        assert any(buffers.iterdir())

        # clear without confirm: refused before anything is looked at
        text = await agent.refused("clear", {"service": "hashserver"})
        assert text.startswith("seamless-service-clear: refusing to clear without confirm: true")
        # with confirm, on data a running service uses: exactly the command line's refusal
        code, line = cli_stderr_line(project, "seamless-service-clear", "--service", "hashserver")
        assert code == 1
        text = await agent.refused("clear", {"service": "hashserver", "confirm": True})
        assert text.splitlines()[0] == line
        assert any(buffers.iterdir())
        # services without persistent data: the command line's usage error
        code, line = cli_stderr_line(project, "seamless-service-clear", "--service", "jobserver")
        assert code == 2
        assert (await agent.refused("clear", {"service": "jobserver", "confirm": True})) == line

        stopped = await agent.ok("stop", {"service": "hashserver"})
        assert stopped["results"] == [{"key": HS, "status": "stopped"}]
        assert (stopped["keys"], stopped["exit_code"]) == ([HS], 0)
        log = await agent.ok("logs", {"service": "hashserver", "tail": 20})
        assert log["lines"] > 0

        removed = await agent.ok("rm", {"service": "hashserver"})
        assert (removed["exit_code"], removed["keys"]) == (0, [HS])
        assert str(project.state / "server" / f"{HS}.json") in removed["removed"]
        assert not (project.state / "server" / f"{HS}.json").exists()

        cleared = await agent.ok("clear", {"service": "hashserver", "confirm": True})
        assert (cleared["cleared"], cleared["exit_code"]) == (True, 0)
        assert cleared["removed"] >= 1
        assert not any(p for p in buffers.iterdir() if not p.name.startswith("."))

        restarted = await agent.ok("restart", {"service": "hashserver"})
        assert restarted["started"]["key"] == HS
        assert restarted["started"]["schema"] == "seamless-service-start/1"
        listing = await agent.ok("ps", {"cluster": "here", "status": "running", "server": True})
        assert [row["key"] for row in listing["rows"]] == [HS]

        # rm of a running service: refused, with the command line's lines, the state kept
        cli = project.run("seamless-service-rm", "--service", "hashserver", "--server")
        assert cli.returncode == 1 and cli.stderr
        text = await agent.refused("rm", {"service": "hashserver", "server": True})
        assert text.splitlines() == cli.stderr.splitlines()
        assert (project.state / "server" / f"{HS}.json").exists()
        stopped = await agent.ok("stop", {"cluster": "here", "project": "myproj"})
        assert stopped["results"] == [{"key": HS, "status": "stopped"}]
        again = await agent.ok("rm", {"service": "hashserver"})
        assert (again["exit_code"], again["keys"]) == (0, [HS])

    session_run(project, body)


def test_bad_arguments_are_tool_errors_and_the_server_keeps_answering(project: Project) -> None:
    async def body(agent: Agent) -> None:
        names = "hashserver, database, jobserver, daskserver, pure-daskserver"
        assert await agent.refused("resolve", {"service": "nope"}) == (
            f"seamless-service-resolve: Invalid value for '--service': 'nope' is not one of {names}"
        )
        assert await agent.refused("logs", {"service": "hashserver", "tail": "ten"}) == (
            "seamless-service-logs: Invalid value for '--tail': 'ten' is not of type 'integer'"
        )
        assert await agent.refused("logs", {"service": "hashserver", "tail": 10**6}) == (
            "seamless-service-logs: Invalid value for '--tail': 1000000 is greater than the maximum of 10000"
        )
        assert (await agent.refused("inspect", {"service": "database", "colour": "red"})).startswith(
            "seamless-service-inspect: no such argument: 'colour'"
        )
        assert await agent.refused("ps", {"client": True, "server": True}) == (
            "seamless-service-ps: --client, --server and --all-clusters are mutually exclusive"
        )
        # the command line's own messages, exactly
        for tool, args, cli in (
            ("resolve", {}, ("seamless-service-resolve",)),
            ("stop", {}, ("seamless-service-stop",)),
            (
                "resolve",
                {"service": "hashserver", "cluster": "nowhere"},
                ("seamless-service-resolve", "--service", "hashserver", "--cluster", "nowhere"),
            ),
        ):
            _code, line = cli_stderr_line(project, *cli)
            assert await agent.refused(tool, args) == line, (tool, args)
        # a service that is not running: the helper's refusal, as one line
        code, line = cli_stderr_line(project, "seamless-service-inspect", "--service", "database")
        assert code != 0
        assert await agent.refused("inspect", {"service": "database"}) == line
        # an unknown tool is a protocol error (the MCP specification's rule), not a tool result
        with pytest.raises(MCPError) as caught:
            await agent.call("nope", {})
        assert caught.value.error.message.startswith("unknown tool 'nope'")
        # still serving
        resolved = await agent.ok("resolve", {"service": "database"})
        assert resolved["key"] == DB

    session_run(project, body)
