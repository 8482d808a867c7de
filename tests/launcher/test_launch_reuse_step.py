"""The reuse check is the first step of the launch sequence, before YAML is parsed, and it
reports through the same progress observer as every other phase (issue 16.4).

Every test drives the installed ``remote-http-launcher``. Whether PyYAML was imported is read
from the interpreter's own ``-X importtime`` report (``PYTHONPROFILEIMPORTTIME=1``), which
goes to stderr next to the progress lines.
"""

from __future__ import annotations

import json

from conftest import RhlEnv

IMPORT_TIME = {"PYTHONPROFILEIMPORTTIME": "1"}


def progress(stderr: str) -> list[str]:
    """The launcher's own stderr lines (without the interpreter's import report)."""
    return [line for line in stderr.splitlines() if not line.startswith("import time:")]


def imported(stderr: str, module: str) -> bool:
    return any(
        line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == module
        for line in stderr.splitlines()
    )


def test_debug_level_reuse_is_answered_before_yaml_through_the_observer(rhl: RhlEnv) -> None:
    config = rhl.example_config("reuse-debug")
    first = rhl.run("remote-http-launcher", str(config), "--log-level", "debug", timeout=90)
    assert first.returncode == 0, first.stderr
    again = rhl.run("remote-http-launcher", str(config), "--log-level", "debug", env=IMPORT_TIME)
    assert again.returncode == 0, again.stderr
    lines = progress(again.stderr)
    assert [line.split("s ", 1)[1] for line in lines] == [
        "local_check: reused",
        "done: reused-local",
    ], again.stderr
    assert [line.split("s ", 1)[0].strip() for line in lines] == ["0.0", "0.0"]
    assert not imported(again.stderr, "yaml"), "the reuse check parsed the YAML configuration"


def test_configured_debug_log_file_gets_the_reuse_lines_without_yaml(rhl: RhlEnv) -> None:
    log = rhl.tmp / "logs" / "launch-debug.log"
    config = rhl.example_config("reuse-logfile", debug_log_file=str(log))
    assert rhl.run("remote-http-launcher", str(config), timeout=90).returncode == 0
    log.unlink()
    again = rhl.run("remote-http-launcher", str(config), env=IMPORT_TIME)
    assert again.returncode == 0, again.stderr
    assert progress(again.stderr) == ["   0.0s local_check: reused", "   0.0s done: reused-local"]
    assert [line.split("s ", 1)[1] for line in log.read_text().splitlines()] == [
        "local_check: reused",
        "done: reused-local",
    ]
    assert not imported(again.stderr, "yaml"), "the reuse check parsed the YAML configuration"


def test_cached_plan_whose_service_is_gone_checks_once_then_launches(rhl: RhlEnv) -> None:
    config = rhl.example_config("reuse-gone")
    assert rhl.run("remote-http-launcher", str(config), timeout=90).returncode == 0
    first_pid = rhl.read_server("reuse-gone")["pid"]
    assert rhl.run("rhl-stop", "reuse-gone").returncode == 0
    again = rhl.run("remote-http-launcher", str(config), "--json", timeout=90)
    assert again.returncode == 0, again.stderr
    phases = [line.split("s ", 1)[1] for line in again.stderr.splitlines()]
    assert phases[0] == "local_check: stale" and phases[-1] == "done: launched", again.stderr
    assert sum(phase.startswith("local_check") for phase in phases) == 1, again.stderr
    assert rhl.read_server("reuse-gone")["pid"] != first_pid
    assert json.loads(again.stdout) == json.loads((rhl.client / "reuse-gone.json").read_text())


def test_other_logging_options_than_cached_parse_the_configuration(rhl: RhlEnv) -> None:
    config = rhl.example_config("reuse-options")
    assert rhl.run("remote-http-launcher", str(config), timeout=90).returncode == 0
    same = rhl.run("remote-http-launcher", str(config), env=IMPORT_TIME)
    assert same.returncode == 0 and not imported(same.stderr, "yaml"), same.stderr
    other = rhl.run("remote-http-launcher", str(config), "--log-level", "minimal", env=IMPORT_TIME)
    assert other.returncode == 0 and progress(other.stderr) == [], other.stderr
    assert imported(other.stderr, "yaml")  # another override: the entry does not answer for it


def test_strict_parse_refuses_repeats_and_option_like_values(rhl: RhlEnv) -> None:
    config = rhl.example_config("strict")
    for argv, message in [
        (["--json", "--json"], "option '--json' given more than once"),
        (["--log-level", "basic", "--log-level", "debug"], "option '--log-level' given more than once"),
        (["--connection-dir", "--json"], "option '--connection-dir' requires a value"),
    ]:
        result = rhl.run("remote-http-launcher", str(config), *argv)
        assert (result.returncode, result.stdout) == (2, ""), (argv, result)
        assert result.stderr == f"remote-http-launcher: {message}\n"
    assert not (rhl.client / "strict.json").exists()
