"""A third-party service type (tests/plugins/seamless-example-service) in every command.

The plugin registers ``example-service`` (non-persistent, section ``example``); with it
installed, the installed seamless-service-* commands start, list, inspect, read the log of,
stop and remove it like a built-in, and clear refuses it like the other non-persistent types.
"""

from __future__ import annotations

import json
import os
import pathlib

from project_support import Project, table
from test_example_plugin import plugin_site  # noqa: F401  (a fixture)

from conftest import wait_gone

KEY = "example-service-here-rw-myproj"


def test_plugin_type_in_every_command(plugin_site: pathlib.Path | None, tmp_path: pathlib.Path) -> None:  # noqa: F811
    project = Project(tmp_path)
    project.clusters["here"]["frontends"][0]["example"] = {"network_interface": "127.0.0.1"}
    project.write_clusters()
    # The server side launches only whitelisted binaries (a site adds its plugins' binaries).
    tools = tmp_path / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service {x}"\n')
    project.env["RHL_TOOLS_YAML"] = str(tools)
    if plugin_site is not None:
        project.env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(plugin_site), project.env.get("PYTHONPATH")])
        )

    resolved = project.ok(
        "seamless-service-resolve", "--service", "example-service", "--cluster", "here", "--project", "myproj"
    )
    assert resolved.json_lines()[0]["key"] == KEY
    started = project.start("example-service")
    assert started["key"] == KEY
    rows = table(project.ok("seamless-service-ps").stdout)
    assert rows[1] == ["example-service", "myproj", "-", "client", str(started["port"]), "n/a", "-"]
    rows = table(project.ok("seamless-service-ps", "--cluster", "here").stdout)
    assert rows[1] == ["example-service", "myproj", "-", "running", str(started["port"]), "n/a", "-"]
    state = json.loads(project.ok("seamless-service-inspect", "--service", "example-service").stdout)
    assert state["meta"]["service"] == "example-service" and state["status"] == "running"
    assert (
        project.ok("seamless-service-logs", "--service", "example-service").stdout
        == (project.state / "server" / f"{KEY}.log").read_text()
    )
    refused = project.run("seamless-service-clear", "--service", "example-service")
    assert refused.returncode == 2 and "example-service keeps no persistent data" in refused.stderr
    assert project.ok("seamless-service-stop", "--service", "example-service").stdout == f"{KEY}: stopped\n"
    assert wait_gone(state["pid"])
    removed = project.ok("seamless-service-rm", "--service", "example-service").stdout.splitlines()
    assert sorted(removed) == [
        f"removed {project.state}/client/{KEY}.json",
        f"removed {project.state}/server/{KEY}.json",
    ]

    # Without the plugin, the type is unknown: a usage error naming the known ones.
    project.env["SEAMLESS_CONFIG_SERVICES_PLUGINS"] = ""
    project.clusters["here"]["frontends"][0].pop("example")
    project.write_clusters()
    unknown = project.run("seamless-service-ps", "--service", "example-service", "--server")
    assert unknown.returncode == 2
    assert (
        "'example-service' is not one of hashserver, database, jobserver, daskserver, pure-daskserver"
        in unknown.stderr
    )
