"""Non-finite numbers are usage errors, with one answer from the helper and from the guard.

Python's ``float()`` reads ``nan``, ``inf``, ``-inf`` and ``1e400`` (infinity); click's
FloatRange lets NaN through (every comparison with NaN is false). A NaN grace made rhl-stop
never escalate, a NaN timeout was an internal error. The fast parser, click and the guard now
refuse them through one check (``commands._parse.finite_float``).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

from conftest import RhlEnv, find_command, pid_exists

NON_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e999"]

# (helper, argv before the option, option, usage exit code)
FLOAT_OPTIONS = [
    ("rhl-stop", ["k"], "--sigint-grace", 1),
    ("rhl-stop", ["k"], "--sigterm-grace", 1),
    ("rhl-verify-port", ["127.0.0.1", "1"], "--timeout", 1),
    ("rhl-handshake", ["http://127.0.0.1:1/"], "--timeout", 64),
    ("rhl-pid-alive", ["1", "--wait"], "--timeout", 64),
    ("rhl-launch-service", ["--key", "k", "--workdir", "/nonexistent/w", "--await"], "--timeout", 2),
    ("rhl-launch-service", ["--key", "k", "--workdir", "/nonexistent/w", "--await"], "--idle-timeout", 2),
]


def _argv(before: list[str], option: str, value: str, inline: bool) -> list[str]:
    words = [f"{option}={value}"] if inline else [option, value]
    if before and before[0] == "--key":  # rhl-launch-service: options, then the service argv
        return [*before, *words, "--", "rhl-example-service", "--status-file", "/nonexistent/k.json"]
    return [*before, *words]


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize(("helper", "before", "option", "usage"), FLOAT_OPTIONS)
def test_non_finite_number_is_a_usage_error(
    rhl: RhlEnv, helper: str, before: list[str], option: str, usage: int, value: str
) -> None:
    for inline in (False, True):
        result = rhl.run(helper, *_argv(before, option, value, inline), timeout=30)
        assert result.returncode == usage, (helper, option, value, result)
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{helper}: "), result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        if value.lower() not in ("-inf", "-1e999"):  # negative infinity is also below the range
            assert "is not a finite number" in lines[0], lines[0]


def test_nan_graces_do_not_stop_anything(rhl: RhlEnv) -> None:
    """0.5.0 accepted NaN graces and then never escalated: the service must not be touched."""
    data = rhl.launch("svc", "--ignore-signals")
    result = rhl.run("rhl-stop", "svc", "--sigint-grace", "nan", "--sigterm-grace", "nan", timeout=30)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == ("rhl-stop: Invalid value for '--sigint-grace': 'nan' is not a finite number.\n")
    assert pid_exists(data["pid"])
    assert rhl.read_server("svc")["status"] == "running"
    finite = rhl.run("rhl-stop", "svc", "--sigint-grace", "0.1", "--sigterm-grace", "0.1")
    assert (finite.returncode, finite.stdout) == (0, "svc: kill required\n")


def _guard(tmp: pathlib.Path, command: str) -> subprocess.CompletedProcess[str]:
    """The installed rhl-guard as sshd runs it (the request in SSH_ORIGINAL_COMMAND)."""
    home = tmp / "guard-home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("SSH_ORIGINAL_COMMAND", "RHL_DEBUG")}
    env.pop("REMOTE_HTTP_LAUNCHER_DIR", None)
    env.update(HOME=str(home), SSH_ORIGINAL_COMMAND=command)
    return subprocess.run(
        [find_command("rhl-guard")],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        cwd=home,
    )


GUARDED = [
    "rhl-stop k --sigint-grace {v}",
    "rhl-stop k --sigterm-grace={v}",
    "rhl-verify-port 127.0.0.1 1 --timeout {v}",
    "rhl-handshake http://127.0.0.1:1/ --timeout={v}",
    "rhl-pid-alive 1 --wait --timeout {v}",
]


@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
@pytest.mark.parametrize("template", GUARDED)
def test_guard_refuses_what_the_helper_refuses(rhl: RhlEnv, template: str, value: str) -> None:
    """The same words through rhl-guard: refused (77) with an audit record, nothing run."""
    command = template.format(v=value)
    guarded = _guard(rhl.tmp, command)
    assert guarded.returncode == 77, (command, guarded)
    assert guarded.stdout == ""
    assert guarded.stderr.startswith("rhl-guard: rejected: ") and guarded.stderr.count("\n") == 1
    audit = rhl.tmp / "guard-home" / ".remote-http-launcher" / "guard" / "rejected.jsonl"
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert records and records[-1]["command"] == command
    direct = rhl.run(*command.split(), timeout=30)
    assert direct.returncode in (1, 64) and "is not a finite number" in direct.stderr


def test_guard_still_runs_finite_values(rhl: RhlEnv) -> None:
    guarded = _guard(rhl.tmp, "rhl-stop k --sigint-grace 0.5 --sigterm-grace=1e2")
    assert (guarded.returncode, guarded.stdout, guarded.stderr) == (0, "k: missing state\n", "")


@pytest.mark.parametrize(
    ("flag", "raw"),
    [
        ("--meta", "[" * 60_000 + "]" * 60_000),  # one argv word holds at most 128 KiB
        ("--meta", '{"a": ' * 15_000 + "1" + "}" * 15_000),
        ("--parameters", '{"a": ' * 5_000 + "1" + "}" * 5_000),
        ("--meta", '{"a": ' * 101 + "1" + "}" * 101),  # parses, but deeper than we store
        ("--meta", '{"a": NaN}'),
        ("--meta", '{"a": 1e400}'),
    ],
)
def test_meta_too_deep_or_not_strict_json_is_refused(rhl: RhlEnv, flag: str, raw: str) -> None:
    workdir = rhl.tmp / "w"
    status_file = rhl.server / "k.json"
    result = rhl.run(
        "rhl-launch-service",
        "--key",
        "k",
        "--workdir",
        str(workdir),
        flag,
        raw,
        "--",
        "rhl-example-service",
        "--status-file",
        str(status_file),
    )
    assert result.returncode == 1, result
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"rhl-launch-service: {flag} must be valid JSON: "), line
    assert "RecursionError" not in line and "internal error" not in line
    assert not status_file.exists()


@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
def test_launcher_idle_timeout_must_be_finite(rhl: RhlEnv, value: str) -> None:
    config = rhl.tmp / "svc.yaml"
    config.write_text(f"key: k\nworkdir: {rhl.tmp / 'w'}\ncommand: [rhl-example-service]\n")
    result = rhl.run("remote-http-launcher", str(config), "--dry-run", "--idle-timeout", value)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"remote-http-launcher: Invalid value for '--idle-timeout': '{value}' is not a finite number.\n"
    )
