"""A cold local launch of a config file launched before does not parse it: the service is
forked from the cached launch plan (issue 16's raised targets).

The plan cache (``<connection dir>/.config-cache``) holds the evaluated ``rhl-launch-service
--await`` arguments of the last local launch of a config file and the fields its connection
payload takes from the configuration, keyed on the file's stat and content checksum, the
logging overrides and the whole environment. Every test drives the installed
``remote-http-launcher``; whether (and when) the configuration was parsed (its module
``remote_http_launcher.launch.config`` imported; PyYAML itself is imported by the launch
helper, for ``RHL_TOOLS_YAML``, unless that file's parse is cached: see
tests/rhl/test_tools_whitelist_cache.py) is read from the interpreter's own ``-X importtime``
report (``PYTHONPROFILEIMPORTTIME=1``, on stderr next to the progress lines), and every
run of a test uses that same environment.
"""

from __future__ import annotations

import json
import os
import pathlib

from conftest import RhlEnv

IMPORT_TIME = {"PYTHONPROFILEIMPORTTIME": "1"}


def cache_entries(rhl: RhlEnv) -> list[pathlib.Path]:
    return sorted((rhl.client / ".config-cache").glob("*.json"))


def launch_then_clean(rhl: RhlEnv, config: pathlib.Path, key: str) -> None:
    """A first launch (which records the plan), then the service stopped and forgotten."""
    first = rhl.run("remote-http-launcher", str(config), env=IMPORT_TIME, timeout=90)
    assert first.returncode == 0, first.stderr
    assert rhl.run("rhl-stop", key, timeout=60).returncode == 0
    assert rhl.run("rhl-rm", key, timeout=60).returncode == 0
    (rhl.client / f"{key}.json").unlink(missing_ok=True)
    assert len(cache_entries(rhl)) == 1


def lines(stderr: str) -> list[str]:
    return stderr.splitlines()


def first_index(stderr: str, predicate: object) -> int:
    for index, line in enumerate(lines(stderr)):
        if predicate(line):  # type: ignore[operator]
            return index
    return -1


CONFIG_MODULE = "remote_http_launcher.launch.config"


def config_parsed_at(stderr: str) -> int:
    """Where the configuration module was imported (-1: the configuration was not parsed)."""
    return first_index(
        stderr,
        lambda line: line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == CONFIG_MODULE,
    )


def phase_at(stderr: str, phase: str) -> int:
    return first_index(
        stderr, lambda line: not line.startswith("import time:") and line.split("s ", 1)[-1] == phase
    )


def test_cold_launch_from_the_cached_plan_never_parses_the_configuration(rhl: RhlEnv) -> None:
    config = rhl.example_config("plan-early")
    launch_then_clean(rhl, config, "plan-early")
    again = rhl.run("remote-http-launcher", str(config), "--json", env=IMPORT_TIME, timeout=90)
    assert again.returncode == 0, again.stderr
    assert phase_at(again.stderr, "launch") >= 0, again.stderr
    assert phase_at(again.stderr, "done: launched") >= 0, again.stderr
    assert config_parsed_at(again.stderr) == -1, "the cold launch parsed the configuration"
    state = rhl.read_server("plan-early")
    assert state["status"] == "running"
    payload = json.loads(again.stdout)
    assert payload["port"] == state["port"]
    assert json.loads((rhl.client / "plan-early.json").read_text()) == payload


def test_config_changed_behind_an_unchanged_stat_is_launched_as_it_now_reads(rhl: RhlEnv) -> None:
    """Same size, same inode, mtime put back: the stat signature matches the cached plan, the
    content does not. The file is parsed, and the service it now describes is launched."""
    config = rhl.example_config("plan-stale", "--ready-delay 0.1")
    launch_then_clean(rhl, config, "plan-stale")
    before = os.stat(config)
    text = config.read_text()
    with open(config, "r+", encoding="utf-8") as handle:  # in place: the inode stays
        handle.write(text.replace("--ready-delay 0.1", "--ready-delay 0.2"))
    os.utime(config, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(config)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )

    again = rhl.run("remote-http-launcher", str(config), env=IMPORT_TIME, timeout=90)
    assert again.returncode == 0, again.stderr
    assert 0 <= config_parsed_at(again.stderr) < phase_at(again.stderr, "launch"), again.stderr
    state = rhl.read_server("plan-stale")
    assert state["status"] == "running"
    assert state["command"].endswith("--ready-delay 0.2"), state["command"]
    os.kill(state["pid"], 0)
    # The plan is recorded afresh from the file as it reads now.
    entry = json.loads(cache_entries(rhl)[0].read_text())
    assert entry["launch"]["args"][-1] == "0.2"


def test_corrupt_cache_entry_is_ignored(rhl: RhlEnv) -> None:
    config = rhl.example_config("plan-corrupt")
    launch_then_clean(rhl, config, "plan-corrupt")
    [entry] = cache_entries(rhl)
    entry.write_text('{"path": "' + str(config) + '", "signature": [1, 2')
    again = rhl.run("remote-http-launcher", str(config), "--json", env=IMPORT_TIME, timeout=90)
    assert again.returncode == 0, again.stderr
    assert phase_at(again.stderr, "done: launched") >= 0, again.stderr
    assert config_parsed_at(again.stderr) < phase_at(again.stderr, "launch")  # parsed first: a miss
    assert rhl.read_server("plan-corrupt")["status"] == "running"
    assert json.loads(entry.read_text())["launch"]["args"][0] == "--key"  # recorded afresh


def test_launch_section_with_wrong_shapes_is_ignored(rhl: RhlEnv) -> None:
    """An entry that matches the file but whose launch part is damaged: the file is parsed."""
    config = rhl.example_config("plan-shapes")
    launch_then_clean(rhl, config, "plan-shapes")
    [entry] = cache_entries(rhl)
    record = json.loads(entry.read_text())
    record["launch"]["facts"] = {"hostname": 7}
    entry.write_text(json.dumps(record))
    again = rhl.run("remote-http-launcher", str(config), env=IMPORT_TIME, timeout=90)
    assert again.returncode == 0, again.stderr
    assert 0 <= config_parsed_at(again.stderr) < phase_at(again.stderr, "launch"), again.stderr
    assert rhl.read_server("plan-shapes")["status"] == "running"
    assert json.loads(entry.read_text())["launch"]["facts"]["hostname"] is None  # recorded afresh


def test_other_environment_does_not_use_the_cached_arguments(rhl: RhlEnv) -> None:
    config = rhl.example_config("plan-env")
    launch_then_clean(rhl, config, "plan-env")
    again = rhl.run(
        "remote-http-launcher", str(config), env={**IMPORT_TIME, "RHL_PLAN_TEST": "1"}, timeout=90
    )
    assert again.returncode == 0, again.stderr
    assert 0 <= config_parsed_at(again.stderr) < phase_at(again.stderr, "launch")
    assert rhl.read_server("plan-env")["status"] == "running"


#: Standard modules a cold launch from the cached plan does without, each milliseconds of
#: imports (``json`` and ``shlex`` bring ``re``, ``enum``, ``functools`` and ``collections``;
#: ``socket`` and ``signal`` bring ``enum``): JSON goes through the C codec
#: (``remote_http_launcher.jsontext``), sockets and signals through ``_socket`` and ``_signal``.
AVOIDED = frozenset(
    "yaml json re enum functools collections socket selectors signal threading shlex importlib"
    " warnings subprocess datetime urllib".split()
)


def imported(stderr: str) -> list[str]:
    return [
        line.rsplit("|", 1)[-1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line and "self [us]" not in line
    ]


def test_cold_launch_from_the_cached_plan_imports_no_heavy_standard_module(rhl: RhlEnv) -> None:
    """Config and tools file both cached: the cold launch (the fork of the service, its state
    file, the wait, the handshake, the connection file) imports none of :data:`AVOIDED`."""
    config = rhl.example_config("plan-lean")
    launch_then_clean(rhl, config, "plan-lean")
    again = rhl.run("remote-http-launcher", str(config), "--json", env=IMPORT_TIME, timeout=90)
    assert again.returncode == 0, again.stderr
    assert phase_at(again.stderr, "done: launched") >= 0, again.stderr
    names = imported(again.stderr)
    assert "remote_http_launcher.spawn" in names
    ours = names[names.index("remote_http_launcher") :]  # after the interpreter's own start-up
    assert sorted(AVOIDED.intersection(ours)) == [], " ".join(ours)
    state = rhl.read_server("plan-lean")
    assert state["status"] == "running"
    payload = json.loads(again.stdout)
    assert (rhl.client / "plan-lean.json").read_text() == json.dumps(payload)
