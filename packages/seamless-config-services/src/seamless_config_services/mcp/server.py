"""The MCP side of ``seamless-service-mcp``: the official SDK's low-level server over stdio.

The low-level :class:`mcp.server.lowlevel.Server` is used (not the decorator API) because
the tools' input schemas come from the command line's one declaration and their output
schemas from the shipped schema files (:mod:`..schemas`), not from Python signatures.

Tool bodies are blocking (SSH round trips, launches): each runs in a worker thread, one at
a time (the client layer's caches and its process-wide stdout redirection for in-process
helpers are not for concurrent use), so the server still answers pings meanwhile. The SDK's
stdio transport points fd 1 at stderr while serving, so nothing a helper or a launched
service prints can reach the wire.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from .. import schemas
from .._version import __version__
from . import prompts, tools

NAME = "seamless-service-mcp"


def _tool(tool: tools.Tool) -> types.Tool:
    hints = tool.annotations()
    return types.Tool(
        name=tool.name,
        title=tool.command,
        description=tool.description,
        input_schema=tools.input_schema(tool),
        output_schema=schemas.load(tool.schema),
        annotations=types.ToolAnnotations(
            title=hints["title"],
            read_only_hint=hints["readOnlyHint"],
            destructive_hint=hints.get("destructiveHint"),
            idempotent_hint=hints.get("idempotentHint"),
            open_world_hint=hints["openWorldHint"],
        ),
    )


def _text(document: dict[str, Any]) -> types.TextContent:
    return types.TextContent(text=json.dumps(document, sort_keys=True))


def build(default_workdir: str | None = None) -> Server[Any]:
    """The server: ten tools and one prompt."""
    lock = anyio.Lock()

    async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        listed = await anyio.to_thread.run_sync(lambda: [_tool(t) for t in tools.TOOLS.values()])
        return types.ListToolsResult(tools=listed)

    async def call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name not in tools.TOOLS:
            raise MCPError(
                code=types.INVALID_PARAMS,
                message=f"unknown tool {params.name!r} (tools: {', '.join(tools.TOOLS)})",
            )
        arguments = dict(params.arguments or {})
        async with lock:
            try:
                document = await anyio.to_thread.run_sync(
                    lambda: tools.call(params.name, arguments, default_workdir)
                )
            except tools.ToolFailure as failure:
                content: list[types.ContentBlock] = [types.TextContent(text="\n".join(failure.lines))]
                if failure.document is not None:
                    content.append(_text(failure.document))
                return types.CallToolResult(
                    content=content, structured_content=failure.document, is_error=True
                )
        return types.CallToolResult(content=[_text(document)], structured_content=document)

    async def list_prompts(_ctx: Any, _params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=prompts.NAME,
                    description=prompts.DESCRIPTION,
                    arguments=[
                        types.PromptArgument(name=name, description=text, required=False)
                        for name, text in prompts.ARGUMENTS.items()
                    ],
                )
            ]
        )

    async def get_prompt(_ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        if params.name != prompts.NAME:
            raise MCPError(code=types.INVALID_PARAMS, message=f"unknown prompt {params.name!r}")
        return types.GetPromptResult(
            description=prompts.DESCRIPTION,
            messages=[
                types.PromptMessage(
                    role="user", content=types.TextContent(text=prompts.text(dict(params.arguments or {})))
                )
            ],
        )

    return Server(
        NAME,
        version=__version__,
        title="Seamless services",
        instructions=(
            "Manage and debug Seamless services (hashserver, database, jobserver, daskserver). "
            "Call the doctor tool first; see the debug-seamless-services prompt for the order."
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


async def serve(default_workdir: str | None = None) -> None:
    server = build(default_workdir)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def run(default_workdir: str | None = None) -> None:
    anyio.run(serve, default_workdir)
