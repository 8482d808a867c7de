"""A third-party service type: the example plugin in tests/plugins/seamless-example-service.

It is found through its entry point (group ``seamless_config_services``, name ``example``),
selected or hidden by ``SEAMLESS_CONFIG_SERVICES_PLUGINS``, its section is accepted by the
configuration loader, it resolves, and the launcher really runs what it describes.
When the plugin is not installed in this environment (a fresh nox session), the fixture
installs it into a temporary directory with pip.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata

import pytest
from modelkit import cluster, configuration, frontend

from conftest import RhlEnv
from seamless_config_services import config, plugins
from seamless_config_services.errors import ConfigError
from seamless_config_services.identity import identify
from seamless_config_services.resolve import resolve
from seamless_config_services.services.base import KeyIdentity

PLUGIN_SOURCE = pathlib.Path(__file__).parent.parent / "plugins" / "seamless-example-service"
SECTION = {"network_interface": "127.0.0.1", "port_start": 41000, "port_end": 41099}


def _installed() -> bool:
    return any(ep.name == "example" for ep in metadata.entry_points(group=plugins.ENTRY_POINT_GROUP))


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path | None:
    """``None`` when the plugin is installed here; else a ``pip install --target`` of it."""
    if _installed():
        return None
    work = tmp_path_factory.mktemp("example-plugin")
    shutil.copytree(PLUGIN_SOURCE, work / "src")  # builds never write into the repository
    target = work / "site"
    pip = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--target",
        str(target),
        str(work / "src"),
    ]
    proc = subprocess.run(pip, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return target


def _fresh_registry() -> None:
    plugins.manager.cache_clear()
    plugins.service_types.cache_clear()


@pytest.fixture
def with_plugin(plugin_site: pathlib.Path | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plugin importable here, every plugin allowed, the registry rebuilt before and after."""
    if plugin_site is not None:
        monkeypatch.syspath_prepend(str(plugin_site))
    monkeypatch.delenv(plugins.ENV_PLUGINS, raising=False)
    _fresh_registry()
    yield
    _fresh_registry()


@pytest.mark.parametrize(
    ("selection", "present"),
    [(None, True), ("", False), ("example", True), ("other", False), (" example , x", True)],
)
def test_registry_and_selection(
    with_plugin: None, monkeypatch: pytest.MonkeyPatch, selection: str | None, present: bool
) -> None:
    if selection is not None:
        monkeypatch.setenv(plugins.ENV_PLUGINS, selection)
    _fresh_registry()
    registry = plugins.service_types()
    assert ("example-service" in registry.names()) is present
    assert registry.names()[:5] == ["hashserver", "database", "jobserver", "daskserver", "pure-daskserver"]
    if present:
        assert registry.plugin_of["example-service"] == "example"
        assert registry.sections()["example"] == [registry.get("example-service")]


def test_a_fresh_process_sees_what_the_variable_selects(plugin_site: pathlib.Path | None) -> None:
    code = "from seamless_config_services.plugins import service_types as s; print(' '.join(s().names()))"
    for value, expected in (("example", True), ("", False)):
        env = {plugins.ENV_PLUGINS: value, "PATH": "/usr/bin:/bin"}
        if plugin_site is not None:
            env["PYTHONPATH"] = str(plugin_site)
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        assert ("example-service" in proc.stdout.split()) is expected


def test_it_resolves(with_plugin: None) -> None:
    here = cluster("here", frontend(example=SECTION))
    resolution = resolve(configuration(here, local="here", project="p", stage="s"), "example-service")
    assert resolution.key == "example-service-here-rw-p--STAGE-s"
    assert (resolution.workdir, resolution.local, resolution.ssh_target) == ("/tmp", True, None)
    assert resolution.launcher_config["command"] == (
        "rhl-example-service --status-file {status_file} --port-range 41000 41099 --host 127.0.0.1"
    )
    assert resolution.meta["service"] == "example-service" and resolution.service_type.clearable is False
    assert identify({"key": resolution.key}, ["here"]) == KeyIdentity(
        "example-service", "here", "rw", "p", None, "s"
    )


def _write_clusters(home: pathlib.Path) -> None:
    (home / ".seamless").mkdir(parents=True)
    (home / ".seamless" / "clusters.yaml").write_text(
        "local_cluster: here\nhere:\n  type: local\n  frontends:\n    - example: "
        + json.dumps(SECTION)
        + "\n      hashserver: {bufferdir: /b}\n"
    )


def test_its_section_is_known_to_the_loader_only_with_the_plugin(
    with_plugin: None, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    _write_clusters(tmp_path)
    env = {"HOME": str(tmp_path)}
    overrides = config.Overrides(cluster="here", project="p")
    loaded = config.load(None, overrides=overrides, read_command_files=False, environ=env)
    assert resolve(loaded, "example-service").key == "example-service-here-rw-p"
    monkeypatch.setenv(plugins.ENV_PLUGINS, "")
    _fresh_registry()
    loaded = config.load(None, overrides=overrides, read_command_files=False, environ=env)
    with pytest.raises(ConfigError) as info:
        resolve(loaded, "hashserver")
    assert "example" in str(info.value) and "\n" not in str(info.value)


def test_the_launcher_runs_it(with_plugin: None, rhl: RhlEnv) -> None:
    """The resolved config, handed to our launcher, starts rhl-example-service and passes the
    handshake; ``rhl-stop`` stops it again."""
    here = cluster("here", frontend(example=SECTION))
    resolution = resolve(configuration(here, local="here", project="p"), "example-service")
    path = rhl.tmp / "example.json"
    path.write_text(json.dumps(resolution.launcher_config))
    env = {"HOME": str(rhl.tmp)}
    result = rhl.run("remote-http-launcher", str(path), "--json", env=env, timeout=90)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert 41000 <= payload["port"] <= 41099
    state = rhl.read_server(resolution.key)
    assert state["status"] == "running" and state["meta"] == resolution.meta
    assert (rhl.tmp / ".remote-http-launcher/logs/here/p/example-service.log").exists()
    stopped = rhl.run("rhl-stop", resolution.key, env=env)
    assert stopped.returncode == 0, stopped.stderr
