"""What the guard accepts, and exactly as what: the helper and the values its body receives."""

from __future__ import annotations

import os

import pytest
from guardkit import Tree, table_spec, tree  # noqa: F401 - fixture
from guardkit import parse_spec as parse

from remote_http_launcher.guard._decide import PATH_HELPERS, TABLE, split

SPECS = {name: table_spec(name) for name in TABLE}  # the command table, as plain data


PREPEND = "PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH"


def test_table_is_fixed_and_available() -> None:
    assert TABLE == {
        "rhl-ps",
        "rhl-ps-persistent",
        "rhl-logs",
        "rhl-inspect",
        "rhl-stop",
        "rhl-rm",
        "rhl-clear",
        "rhl-pid-alive",
        "rhl-verify-port",
        "rhl-handshake",
        "rhl-cache-conda",
        "rhl-conda-info",
        "rhl-launch-service",
        "rhl-jobs",
        "rhl-batch",
    }
    assert "rhl-guard" not in TABLE
    assert PATH_HELPERS <= TABLE
    # Every helper of the table that this installation has can be parsed by the guard.
    assert {name for name in TABLE if name in SPECS} >= TABLE - {"rhl-cache-conda", "rhl-conda-info"}


@pytest.mark.parametrize(
    ("command", "helper", "argv"),
    [
        ("rhl-ps", "rhl-ps", []),
        ("rhl-ps --json", "rhl-ps", ["--json"]),
        (f"{PREPEND} rhl-ps --json", "rhl-ps", ["--json"]),
        (f"LANG=C {PREPEND} rhl-ps --key", "rhl-ps", ["--key"]),
        ('PATH="$HOME/bin:$PATH" rhl-ps', "rhl-ps", []),
        ("PATH=${HOME}/bin rhl-ps", "rhl-ps", []),
        ("'rhl-ps' '--json'", "rhl-ps", ["--json"]),
        ('"rhl-ps" "--client" --host "my host"', "rhl-ps", ["--client", "--host", "my host"]),
        ("rhl-ps    --json   ", "rhl-ps", ["--json"]),
        ("rhl-ps --status=running", "rhl-ps", ["--status=running"]),
        ("rhl-logs k --tail 5", "rhl-logs", ["k", "--tail", "5"]),
        ("rhl-logs --tail=5 k", "rhl-logs", ["--tail=5", "k"]),
        ("rhl-inspect k --with-mtime", "rhl-inspect", ["k", "--with-mtime"]),
        ("rhl-stop k1 k2 k3", "rhl-stop", ["k1", "k2", "k3"]),
        ("rhl-rm k --server", "rhl-rm", ["k", "--server"]),
        ("rhl-rm -- k", "rhl-rm", ["--", "k"]),
        ("rhl-pid-alive 123", "rhl-pid-alive", ["123"]),
        ("rhl-jobs --system slurm k1 k2", "rhl-jobs", ["--system", "slurm", "k1", "k2"]),
        (
            "rhl-jobs --system oar --cancel --port 8786",
            "rhl-jobs",
            ["--system", "oar", "--cancel", "--port", "8786"],
        ),
        ("rhl-verify-port localhost 8080", "rhl-verify-port", ["localhost", "8080"]),
        ("rhl-verify-port 127.0.0.1 8080", "rhl-verify-port", ["127.0.0.1", "8080"]),
        ("rhl-verify-port 0.0.0.0 8080", "rhl-verify-port", ["0.0.0.0", "8080"]),
        ("rhl-verify-port ::1 8080", "rhl-verify-port", ["::1", "8080"]),
        (
            "rhl-handshake 'http://localhost:8080/health?x=1'",
            "rhl-handshake",
            ["http://localhost:8080/health?x=1"],
        ),
        ("rhl-handshake 'http://[::1]:8080/'", "rhl-handshake", ["http://[::1]:8080/"]),
        ("rhl-ps --help", "rhl-ps", ["--help"]),
        ("rhl-stop -h", "rhl-stop", ["-h"]),
        ("rhl-logs --version", "rhl-logs", ["--version"]),
    ],
)
def test_accepted(tree: Tree, command: str, helper: str, argv: list[str]) -> None:  # noqa: F811
    outcome = tree.decide(command)
    assert outcome.accepted, outcome.reason
    assert outcome.helper == helper
    assert outcome.argv == argv
    if argv not in (["--help"], ["-h"], ["--version"]):
        assert outcome.values == parse(SPECS[helper], argv)
    else:
        assert outcome.info


def test_quoted_shell_characters_are_plain_data(tree: Tree) -> None:  # noqa: F811
    """Quoted, they mean nothing to a shell either: JSON and odd names pass as literal words."""
    command = (
        f"rhl-launch-service --key k --workdir {tree.work}/w "
        """--meta '{"project": "a;b|c&&$(d)`e`"}' --parameters "{\\"x\\": 1}" """
        "-- rhl-example-service '*' '$HOME'"
    )
    outcome = tree.decide(command)
    assert outcome.accepted, outcome.reason
    assert outcome.values is not None
    assert outcome.values["meta"] == '{"project": "a;b|c&&$(d)`e`"}'
    assert outcome.values["parameters"] == '{"x": 1}'
    assert outcome.values["service_argv"] == ("rhl-example-service", "*", "$HOME")
    assert outcome.paths == [(f"{tree.work}/w", "workdir", f"{tree.work}/w")]


def test_service_argv_after_double_dash_is_not_parsed_as_options(tree: Tree) -> None:  # noqa: F811
    # (An undeclared service, whose "--workdir w" names no path: the service's own arguments
    # are checked by policy.service_args, see test_guard_service_args.py.)
    outcome = tree.decide(
        f"rhl-launch-service --key k --workdir {tree.work} -- rhl-example-service --workdir w"
    )
    assert outcome.accepted, outcome.reason
    assert outcome.values is not None
    assert outcome.values["workdir"] == str(tree.work)
    assert outcome.values["service_argv"] == ("rhl-example-service", "--workdir", "w")


@pytest.mark.parametrize(
    ("policy", "command", "kind", "target"),
    [
        ("data-roots", "rhl-clear {data}/proj/STAGE-a", "clear", "{data}/proj/STAGE-a"),
        ("data-roots", "rhl-clear {data}", "clear", "{data}"),
        ("data-roots", "rhl-clear {data}/proj/plain", "clear", "{data}/proj/plain"),
        ("data-roots", "rhl-clear {data}//proj/STAGE-b/", "clear", "{data}/proj/STAGE-b"),
        ("data-roots", "rhl-ps-persistent --json --level 2 {data}", "walk", "{data}"),
        ("data-roots", "rhl-ps-persistent {shared}", "walk", "{shared}"),
        (
            "data-roots",
            "rhl-launch-service --key k --workdir {work}/new/dir -- hashserver",
            "workdir",
            "{work}/new/dir",
        ),
        (
            "data-roots",
            "rhl-launch-service --key k --workdir {data}/proj/svc -- hashserver",
            "workdir",
            "{data}/proj/svc",
        ),
        ("seamless", "rhl-clear {data}/proj/STAGE-a", "clear", "{data}/proj/STAGE-a"),
        ("seamless", "rhl-clear {data}/proj/STAGE-b", "clear", "{data}/proj/STAGE-b"),
        ("seamless", "rhl-clear {data}/proj/escape-marked", "clear", "{marked}"),
        # the 0.4.5 weak point: a bufferdir root holds no marker, but may be walked
        ("seamless", "rhl-ps-persistent --json --level 2 {data}", "walk", "{data}"),
        ("seamless", "rhl-launch-service --key k --workdir /tmp/jobs -- x", "workdir", "/tmp/jobs"),
        ("marker:seamless.db", "rhl-clear {data}/proj/STAGE-b", "clear", "{data}/proj/STAGE-b"),
        ("permissive", "rhl-clear {outside}", "clear", "{outside}"),
    ],
)
def test_paths_allowed_by_policy(
    tree: Tree,  # noqa: F811
    policy: str,
    command: str,
    kind: str,
    target: str,
) -> None:
    fill = {"data": tree.data, "work": tree.work, "shared": tree.shared, "outside": tree.outside}
    fill["marked"] = tree.outside_marked
    outcome = tree.decide(command.format(**fill), policy=policy)
    assert outcome.accepted, outcome.reason
    assert [(k, r) for _raw, k, r in outcome.paths] == [(kind, target.format(**fill))]


def test_marker_policy_refuses_where_seamless_accepts(tree: Tree) -> None:  # noqa: F811
    outcome = tree.decide(f"rhl-clear {tree.data}/proj/STAGE-a", policy="marker:seamless.db")
    assert outcome.reason is not None and "(seamless.db)" in outcome.reason


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("a b", [("a", ""), ("b", "")]),
        ("'a b' c", [("a b", ""), ("c", "")]),
        ('"a \\"b\\" \\\\ \\$ \\`" c', [('a "b" \\ $ `', ""), ("c", "")]),
        ('"a\\nb"', [("a\\nb", "")]),
        ("a\\ b\\;c", [("a b;c", "")]),
        ("x'y'\"z\"", [("xyz", "")]),
        ("''", [("", "")]),
        ("a;b", [("a;b", ";")]),
        ('"$x"', [("$x", "$")]),
        ("'$x'", [("$x", "")]),
        ("#x y#", [("#x", "#"), ("y#", "")]),
    ],
)
def test_split_like_a_posix_shell(command: str, words: list[tuple[str, str]]) -> None:
    assert split(command) == words


def test_rhl_inspect_runtime_is_accepted_through_the_table_and_stays_read_only(
    tree: Tree,  # noqa: F811
) -> None:
    """``rhl-inspect --runtime KEY...`` (the doctor's runtime check): accepted with exactly the
    values its body gets, keys only (no path, so no path policy), and refused as any helper's
    call is when a value is not a key or an option repeats. Run through the installed guard
    on a real service, it prints the row and changes nothing on disk."""
    import json
    import pathlib
    import subprocess

    from guardkit import run_guard

    from conftest import find_command

    outcome = tree.decide("rhl-inspect --runtime k1 k2")
    assert outcome.accepted, outcome.reason
    assert (outcome.helper, outcome.paths) == ("rhl-inspect", [])
    assert outcome.values == {"key": "k1", "more": ("k2",), "runtime": True, "with_mtime": False}
    assert "rhl-inspect" not in PATH_HELPERS
    for refused in (
        "rhl-inspect --runtime /etc/passwd",
        "rhl-inspect --runtime ../k",
        "rhl-inspect --runtime --runtime k",
        "rhl-inspect --runtime=yes k",
        "rhl-inspect --runtim k",
    ):
        assert not tree.decide(refused).accepted, refused

    state = tree.home / ".remote-http-launcher" / "server"
    tools = tree.tmp / "tools.yaml"  # outside the snapshot's interest: written before it
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    env = {**os.environ, "HOME": str(tree.home), "RHL_TOOLS_YAML": str(tools)}
    env["PATH"] = f"{pathlib.Path(find_command('rhl-example-service')).parent}{os.pathsep}{env['PATH']}"
    env.pop("REMOTE_HTTP_LAUNCHER_DIR", None)
    launched = subprocess.run(
        [find_command("rhl-launch-service"), "--key", "k1", "--workdir", str(tree.work / "w"), "--await",
         "--", "rhl-example-service", "--status-file", str(state / "k1.json")],
        capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert launched.returncode == 0, launched.stderr
    pid = json.loads(launched.stdout)["pid"]
    try:
        before = {p: v for p, v in tree.snapshot().items() if not p.endswith(".log")}
        result = run_guard(tree, "rhl-inspect --runtime k1")
        assert (result.returncode, result.stderr) == (0, ""), result
        (row,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert (row["key"], row["pid"], row["error"]) == ("k1", pid, None)
        assert row["command"] == "rhl-example-service"
        assert row["environment"]["distribution"] == "remote-http-launcher"
        after = {p: v for p, v in tree.snapshot().items() if not p.endswith(".log")}
        assert after == before  # read-only: no state, lock, bytecode or audit file written
        os.kill(pid, 0)  # and the service still runs
    finally:
        os.killpg(pid, 9)
