"""Third-party path policies: the worked example plugin, installed with pip, found through its
entry point, selected with ``--policy``; and the rules of the registry.

The example distribution lives in tests/guard/example_policy_plugin/ and is the one
docs/guard/policy-plugins.md walks through.
"""

from __future__ import annotations

import importlib.metadata
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest
from guardkit import EXIT_CONFIG, EXIT_REJECTED, Tree, run_guard, tree  # noqa: F401 - fixture

from remote_http_launcher.entrypoints import find_entry_points
from remote_http_launcher.policy import hookimpl
from remote_http_launcher.policy.base import PolicyConfigError
from remote_http_launcher.policy.names import build
from remote_http_launcher.policy.registry import ENTRY_POINT_GROUP, ENV_PLUGINS, load_registry

PLUGIN_SOURCE = pathlib.Path(__file__).parent / "example_policy_plugin"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The example plugin, pip-installed into a throwaway directory (``pip install --target``)."""
    work = tmp_path_factory.mktemp("plugin")
    source = work / "src"
    shutil.copytree(PLUGIN_SOURCE, source)  # builds never write into the repository
    target = work / "site"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (target / "rhl_policy_owned-1.0.0.dist-info" / "entry_points.txt").is_file()
    return target


@pytest.fixture
def plugin_path(plugin_site: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[pathlib.Path]:
    """The plugin importable in this process too (as if installed next to us)."""
    monkeypatch.syspath_prepend(str(plugin_site))
    monkeypatch.delenv(ENV_PLUGINS, raising=False)
    yield plugin_site
    sys.modules.pop("rhl_policy_owned", None)


def _env(site: pathlib.Path, **extra: str) -> dict[str, str]:
    return {"PYTHONPATH": str(site), **extra}


def test_entry_point_found_like_importlib_metadata(plugin_path: pathlib.Path) -> None:
    ours = {(ep.name, ep.value) for ep in find_entry_points(ENTRY_POINT_GROUP)}
    theirs = {(ep.name, ep.value) for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert ours == theirs
    assert ("owned", "rhl_policy_owned") in ours
    scripts = {(ep.name, ep.value) for ep in find_entry_points("console_scripts")}
    assert scripts == {(ep.name, ep.value) for ep in importlib.metadata.entry_points(group="console_scripts")}


def test_registry_holds_builtins_and_the_plugin(plugin_path: pathlib.Path) -> None:
    registry = load_registry()
    plugins = {name: entry.plugin for name, entry in registry.policies.items()}
    assert (
        plugins["data-roots"]
        == plugins["seamless"]
        == plugins["marker"]
        == plugins["permissive"]
        == "builtin"
    )
    assert plugins["owned"] == "owned"
    assert registry.manager.get_plugin("builtin") is not None  # built-ins are an ordinary plugin


def test_guard_uses_the_plugin_through_its_entry_point(tree: Tree, plugin_site: pathlib.Path) -> None:  # noqa: F811
    env = _env(plugin_site)
    listed = run_guard(tree, None, "--list-policies", env=env)
    assert "owned" in listed.stdout and "[owned]" in listed.stdout
    stage = tree.data / "proj" / "STAGE-a"
    option = ["--policy", f"owned:{tree.data}"]
    cleared = run_guard(tree, f"rhl-clear {stage}", *option, env=env)
    assert cleared.returncode == 0, cleared.stderr
    assert cleared.stdout == f"removed 2 item(s) from {stage}\n"
    outside = run_guard(tree, f"rhl-clear {tree.outside}", *option, env=env)
    assert outside.returncode == EXIT_REJECTED
    assert (
        outside.stderr == f"rhl-guard: rejected: rhl-clear: path is not under {tree.data}: {tree.outside}\n"
    )
    # The always-on rules come first, whatever the plugin says.
    dot = run_guard(tree, f"rhl-clear {tree.data}/proj/.hidden", *option, env=env)
    assert "dot-prefixed segments" in dot.stderr
    # A broken selection refuses every command, rhl-ps too (fail closed: issue 13, point 3).
    plain = run_guard(tree, "rhl-ps --json", "--policy", "owned:relative", env=env)
    assert plain.returncode == EXIT_CONFIG, plain.stderr
    assert plain.stdout == ""
    assert len(plain.audit) == 1 and plain.audit[0]["reason"].startswith("configuration error: owned:")
    broken = run_guard(tree, f"rhl-clear {stage}", "--policy", "owned:relative", env=env)
    assert broken.returncode == EXIT_CONFIG
    assert (
        broken.stderr
        == "rhl-guard: configuration error: owned: the prefix must be an absolute path: 'relative'\n"
    )


def test_plugin_policy_rechecked_by_the_helper(tree: Tree, plugin_site: pathlib.Path) -> None:  # noqa: F811
    """The helper rebuilds the plugin policy from RHL_GUARD_POLICY (entry point again)."""
    from guardkit import guard_env

    from conftest import find_command

    env = guard_env(tree, None, {**_env(plugin_site), "RHL_GUARD_POLICY": f"owned:{tree.data}"})
    proc = subprocess.run(
        [find_command("rhl-clear"), str(tree.outside_marked)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    reason = f"path is not under {tree.data}: {tree.outside_marked}"
    assert proc.stderr == f"rhl-clear: refused by the rhl-guard path policy: {reason}\n"


@pytest.mark.parametrize(
    ("selection", "found"), [("", False), ("owned", True), ("other, owned", True), ("x", False)]
)
def test_env_var_limits_which_plugins_load(
    tree: Tree,  # noqa: F811
    plugin_site: pathlib.Path,
    selection: str,
    found: bool,
) -> None:
    result = run_guard(
        tree,
        f"rhl-clear {tree.data}/proj/STAGE-b",
        "--policy",
        f"owned:{tree.data}",
        env=_env(plugin_site, **{ENV_PLUGINS: selection}),
    )
    if found:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == EXIT_CONFIG
        assert "unknown path policy 'owned'" in result.stderr
    # Built-ins are not plugins one can switch off.
    builtin = run_guard(tree, "rhl-ps-persistent /nonexistent/x", "--permissive-paths", env={ENV_PLUGINS: ""})
    assert builtin.returncode == 0


def _fake_distribution(site: pathlib.Path, name: str, module_source: str, entry: str) -> None:
    """A hand-made installed distribution: enough for the entry-point machinery."""
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry}\n")
    (site / f"{name}.py").write_text(module_source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "from remote_http_launcher.policy import hookimpl\n"
            "from remote_http_launcher.policy.markers import permissive_factory\n"
            "@hookimpl\ndef register_path_policies(register):\n"
            "    register('seamless', permissive_factory)\n",
            "path policy 'seamless' is registered twice (plugins 'builtin' and 'hijack')",
        ),
        (
            "from remote_http_launcher.policy import hookimpl\n"
            "@hookimpl\ndef register_path_policies(register):\n    register('Bad Name', print)\n",
            "plugin 'hijack' registered an invalid policy name 'Bad Name'",
        ),
        ("raise ImportError('broken on purpose')\n", "could not load path-policy plugin 'hijack'"),
    ],
)
def test_bad_plugins_are_configuration_errors(
    tree: Tree,  # noqa: F811
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    message: str,
) -> None:
    site = tmp_path / "badsite"
    _fake_distribution(site, "hijack_plugin", source, "hijack = hijack_plugin")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv(ENV_PLUGINS, raising=False)
    try:
        with pytest.raises(PolicyConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_registry()
        # A built-in name still resolves (without loading plugins): it cannot be hijacked.
        assert build("seamless").spec == "seamless"
        result = run_guard(
            tree, f"rhl-clear {tree.outside}", "--policy", "nosuch", env={"PYTHONPATH": str(site)}
        )
        assert result.returncode == EXIT_CONFIG and message in result.stderr
    finally:
        sys.modules.pop("hijack_plugin", None)


def test_hookimpl_is_pluggys_marker() -> None:
    import pluggy

    assert isinstance(hookimpl, pluggy.HookimplMarker)
    assert hookimpl.project_name == "remote_http_launcher"


def test_rhl_ps_path_never_imports_pluggy(tree: Tree) -> None:  # noqa: F811
    """Only path helpers (and only for plugin policies) pay for pluggy."""
    code = (
        "import os, sys\n"
        "sys.argv = ['rhl-guard', '--clear-policy', 'seamless']\n"
        "from remote_http_launcher.guard import main\n"
        "try:\n    main(fast_exit=False)\nexcept SystemExit:\n    pass\n"
        "mods = sorted(m for m in ('pluggy', 'click', 'typing', 'json', 're') if m in sys.modules)\n"
        "sys.stderr.write('\\nLOADED:' + ' '.join(mods) + '\\n')\n"
    )
    from guardkit import guard_env

    for command, allowed in [
        ("rhl-ps --key", {"json", "re"}),
        ("kill -1 1", set()),
        (f"rhl-clear {tree.data}/x", set()),
    ]:
        env = guard_env(tree, command)
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
        )
        loaded = set(proc.stderr.rsplit("LOADED:", 1)[1].split())
        assert "pluggy" not in loaded and "click" not in loaded and "typing" not in loaded, (command, loaded)
        assert loaded <= allowed, (command, loaded)
