"""``seamless-service-mcp``: the seamless-service-* commands as an MCP server over stdio.

Shipped as the optional extra ``seamless-config-services[mcp]`` (the official ``mcp`` SDK),
so that servers and plain clients do not install it. Without the extra the command says so
in one line and exits 1. The tools are in :mod:`.tools` (no SDK needed to read them), the
SDK glue in :mod:`.server`.
"""

from __future__ import annotations

import sys

import click

#: Exit codes: 0 the client closed the connection; 1 the MCP SDK is not installed;
#: 2 usage (a bad option).
EXIT_MISSING_EXTRA = 1
MISSING_EXTRA = (
    "seamless-service-mcp: the MCP SDK is not installed; "
    "install it with: pip install 'seamless-config-services[mcp]'"
)
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100, "terminal_width": 100}


@click.command(context_settings=CONTEXT)
@click.option(
    "--workdir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="The project directory of tool calls without 'workdir' (default: the current directory).",
)
@click.version_option(
    package_name="seamless-config-services",
    message="%(prog)s, version %(version)s (seamless-config-services)",
)
def command(workdir: str | None) -> None:
    """Serve the seamless-service-* commands to an agent over MCP (stdio).

    An MCP host (an agent) starts this command and talks JSON-RPC on its stdin and stdout; the
    server's own messages go to stderr. Tools: ps, resolve, logs, inspect, doctor (read-only), start,
    stop, rm, clear, restart, each with the selection arguments of the commands (service, cluster,
    project, subproject, stage, substage, mode, queue, frontend_name, workdir) and the command's JSON
    document as structured output (schema named in its 'schema' field). 'clear' needs confirm:
    true. A bad argument or a refused action is a tool error with the command's one-line message.
    Prompt: debug-seamless-services (the debugging checklist: doctor first).

    Needs the optional extra: pip install 'seamless-config-services[mcp]'. Exit codes: 0 the client
    closed the connection, 1 the extra is not installed, 2 usage error.
    """
    try:
        from . import server
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("mcp", "mcp_types", "anyio"):
            raise
        click.echo(MISSING_EXTRA, err=True)
        sys.exit(EXIT_MISSING_EXTRA)
    try:
        server.run(workdir)
    except KeyboardInterrupt:
        sys.exit(130)


def main() -> None:
    command(prog_name="seamless-service-mcp")
