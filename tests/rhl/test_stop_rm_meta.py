"""rhl-stop/rhl-rm --meta-cluster: one helper call both selects (by the state files' ``meta``)
and acts, so that ``seamless-service-stop/rm --cluster`` cost one round trip per host.

The rule is the client's own rule for a state file whose meta names its service and its
cluster: every field asked for must be that exact non-empty string. A state file without such
meta (0.4.5, another tool, corrupt) is never picked by meta: only its key tells whom it
belongs to, and the client names it.
"""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest

from conftest import RhlEnv

STATES = {
    # key: meta (None: the file is not JSON)
    "hs-c-p": {"service": "hashserver", "cluster": "c", "project": "p"},
    "hs-c-p-s": {"service": "hashserver", "cluster": "c", "project": "p", "stage": "s"},
    "db-c-p-ro": {"service": "database", "cluster": "c", "project": "p", "mode": "ro"},
    "hs-other": {"service": "hashserver", "cluster": "other", "project": "p"},
    "hashserver-c-rw-legacy": {},  # 0.4.5: no meta; only the key tells (the client parses it)
    "no-service": {"cluster": "c", "project": "p"},
    "empty-service": {"service": "", "cluster": "c", "project": "p"},
    "no-cluster": {"service": "hashserver", "project": "p"},
    "number-project": {"service": "hashserver", "cluster": "c", "project": 7},
    "corrupt": None,
}


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.fixture
def states(rhl: RhlEnv) -> RhlEnv:
    pid = _dead_pid()
    for key, meta in STATES.items():
        if meta is None:
            rhl.write_server(key, None, raw="{not json")
        else:
            rhl.write_server(key, {"status": "stale", "pid": pid, "port": 1, "meta": meta})
    return rhl


def _removed(rhl: RhlEnv, *args: str) -> list[str]:
    result = rhl.run("rhl-rm", "--server", *args)
    assert (result.returncode, result.stderr) == (0, ""), result
    prefix = f"removed {rhl.server}/"
    assert all(line.startswith(prefix) for line in result.stdout.splitlines()), result.stdout
    return [line[len(prefix) : -len(".json")] for line in result.stdout.splitlines()]


@pytest.mark.parametrize(
    ("options", "picked"),
    [
        # A field not asked for is not looked at (a number project, as the client's rule).
        (("--meta-cluster", "c"), ["db-c-p-ro", "hs-c-p-s", "hs-c-p", "number-project"]),
        (("--meta-cluster", "c", "--meta-stage", "s"), ["hs-c-p-s"]),
        (("--meta-cluster", "c", "--meta-mode", "ro"), ["db-c-p-ro"]),
        (
            ("--meta-cluster", "c", "--meta-service", "hashserver", "--meta-project", "p"),
            ["hs-c-p-s", "hs-c-p"],
        ),
        (("--meta-cluster=other",), ["hs-other"]),
        (("--meta-cluster", "c", "--meta-project", "q"), []),
        # An empty value is never a value (the client's filters compare it with None).
        (("--meta-cluster", "c", "--meta-project="), []),
        (("--meta-cluster", "nowhere"), []),
    ],
)
def test_rm_picks_exactly_the_state_files_whose_meta_matches(
    states: RhlEnv, options: tuple[str, ...], picked: list[str]
) -> None:
    assert _removed(states, *options) == picked  # in file-name order, as rhl-ps lists them
    left = sorted(p.name[: -len(".json")] for p in states.server.glob("*.json"))
    assert left == sorted(set(STATES) - set(picked))


def test_named_keys_come_first_and_each_key_is_handled_once(states: RhlEnv) -> None:
    assert _removed(states, "hashserver-c-rw-legacy", "hs-c-p-s", "--meta-cluster", "c") == [
        "hashserver-c-rw-legacy",
        "hs-c-p-s",
        "db-c-p-ro",
        "hs-c-p",
        "number-project",
    ]


def test_stop_selects_and_stops_in_one_call(states: RhlEnv) -> None:
    result = states.run("rhl-stop", "--meta-cluster", "c", "--meta-project", "p")
    assert (result.returncode, result.stderr) == (0, ""), result
    assert result.stdout == "db-c-p-ro: already gone\nhs-c-p-s: already gone\nhs-c-p: already gone\n"
    for key in ("db-c-p-ro", "hs-c-p", "hs-c-p-s"):
        assert states.read_server(key)["status"] == "stale" and "stopped_at" in states.read_server(key)
    assert "stopped_at" not in states.read_server("hashserver-c-rw-legacy")


def test_stop_of_a_live_service_selected_by_meta(rhl: RhlEnv) -> None:
    data = rhl.launch("live")
    state = rhl.read_server("live")
    state["meta"] = {"service": "hashserver", "cluster": "c"}
    rhl.write_server("live", state)
    result = rhl.run("rhl-stop", "--meta-cluster", "c")
    assert (result.returncode, result.stdout.split(" ")[0]) == (0, "live:"), result
    assert result.stdout.startswith("live: stopped")
    assert rhl.read_server("live")["status"] == "stale"
    assert data["pid"]


@pytest.mark.parametrize("helper", ["rhl-stop", "rhl-rm"])
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Missing argument 'KEY...'."),
        (("--meta-stage", "s"), "--meta-* options need --meta-cluster"),
        (("--meta-cluster", "a", "--meta-cluster", "b"), "option '--meta-cluster' given more than once"),
        (("--meta-clu", "a"), "No such option '--meta-clu'. (Did you mean one of: '--meta-cluster', "),
        (("--meta-cluster",), "Option '--meta-cluster' requires an argument."),
    ],
)
def test_usage_errors_do_nothing(states: RhlEnv, helper: str, args: tuple[str, ...], message: str) -> None:
    before = sorted(p.name for p in states.server.iterdir())
    result = states.run(helper, *args)
    assert (result.returncode, result.stdout) == (1, ""), result
    assert result.stderr.startswith(f"{helper}: {message}") and result.stderr.count("\n") == 1
    assert sorted(p.name for p in states.server.iterdir()) == before


def test_a_batch_line_with_a_bad_meta_option_stops_the_whole_batch(states: RhlEnv) -> None:
    lines = ["rhl-rm --server --meta-cluster c", "rhl-stop --meta-clusterX c"]
    result = states.run("rhl-batch", *lines)
    assert (result.returncode, result.stdout) == (2, ""), result
    assert result.stderr == (f"rhl-batch: line {lines[1]!r}: rhl-stop: unknown option '--meta-clusterX'\n")
    assert (states.server / "hs-c-p.json").exists()
    ok = states.run("rhl-batch", "rhl-ps --json", shlex.join(["rhl-rm", "--server", "--meta-cluster=c"]))
    records = [json.loads(line) for line in ok.stdout.splitlines()]
    assert [r["rc"] for r in records] == [0, 0]
    assert not (states.server / "hs-c-p.json").exists()
