"""The path helpers re-check the guard's policy themselves, at the moment of use.

The guard decides on a path, and a moment later the helper uses it: a directory swapped for
a symlink in between must not take the helper outside the roots. The swap is made
deterministically between the guard's decision and the helper's run (in the guard's own
process, as in production), and also against a helper started on its own with the policy in
RHL_GUARD_POLICY.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from guardkit import Tree, audit_file, guard_env, tree  # noqa: F401 - fixture

from conftest import find_command
from remote_http_launcher import guard
from remote_http_launcher.errors import RhlError
from remote_http_launcher.guard._decide import decide
from remote_http_launcher.policy import enforced


def _swap_for_link(directory: os.PathLike[str], target: os.PathLike[str]) -> None:
    shutil.rmtree(directory)
    os.symlink(target, directory)


def _run_in_guard(tree: Tree, command: str, monkeypatch: pytest.MonkeyPatch, swap=None) -> int:  # type: ignore[no-untyped-def]  # noqa: F811
    """What rhl-guard does after an accepted decision, with an optional swap in between."""
    monkeypatch.setenv(enforced.ENV_POLICY, "unset-by-test")  # restored after the test
    monkeypatch.setattr(guard, "_AUDIT_SETTINGS", [None, str(audit_file(tree)), "data-roots"])
    policy = guard._Policy(tree.spec("data-roots"))
    outcome = decide(command, policy)
    assert outcome.accepted, outcome.reason
    if swap:
        swap()
    return guard._run_helper(outcome, policy)


def test_clear_refuses_a_directory_swapped_after_the_decision(
    tree: Tree,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stage = tree.data / "proj" / "STAGE-a"
    code = _run_in_guard(
        tree, f"rhl-clear {stage}", monkeypatch, swap=lambda: _swap_for_link(stage, tree.outside)
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "rhl-clear: refused by the rhl-guard path policy: path is outside configured --data-roots"
    )
    assert (tree.outside / "precious").read_text() == "keep me\n"
    records = [json.loads(line) for line in audit_file(tree).read_text().splitlines()]
    assert records[-1]["stage"] == "helper" and "at use time (clear)" in records[-1]["reason"]


def test_clear_without_a_swap_runs(
    tree: Tree,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stage = tree.data / "proj" / "STAGE-a"
    assert _run_in_guard(tree, f"rhl-clear {stage}", monkeypatch) == 0
    assert capsys.readouterr().out == f"removed 2 item(s) from {stage}\n"
    assert sorted(p.name for p in stage.iterdir()) == [".HASHSERVER_PREFIX"]


def test_the_opened_directory_is_what_is_checked(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The verifier judges the descriptor's real location, not the name it was given."""
    monkeypatch.setenv(enforced.ENV_POLICY, tree.spec("data-roots"))
    verify = enforced.clear_verifier()
    assert verify is not None
    inside = os.open(tree.data / "proj" / "STAGE-a", os.O_RDONLY | os.O_DIRECTORY)
    outside = os.open(tree.outside, os.O_RDONLY | os.O_DIRECTORY)
    try:
        verify(inside, str(tree.data / "proj" / "STAGE-a"))
        with pytest.raises(RhlError, match="outside configured --data-roots"):
            verify(outside, str(tree.data / "proj" / "STAGE-a"))
    finally:
        os.close(inside)
        os.close(outside)


def test_marker_is_checked_in_the_opened_directory(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv(enforced.ENV_POLICY, "seamless")
    verify = enforced.clear_verifier()
    assert verify is not None
    fake = os.open(tree.data / "proj" / "fake", os.O_RDONLY | os.O_DIRECTORY)  # marker is a symlink
    try:
        with pytest.raises(RhlError, match="required marker file"):
            verify(fake, str(tree.data / "proj" / "fake"))
    finally:
        os.close(fake)


def _helper(tree: Tree, name: str, *args: str, policy: str, extra: dict[str, str] | None = None):  # type: ignore[no-untyped-def]  # noqa: F811
    env = guard_env(tree, None, {enforced.ENV_POLICY: policy, **(extra or {})})
    return subprocess.run(
        [find_command(name), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_standalone_clear_rebuilds_the_policy_from_the_environment(tree: Tree) -> None:  # noqa: F811
    stage = tree.data / "proj" / "STAGE-a"
    _swap_for_link(stage, tree.outside)
    result = _helper(tree, "rhl-clear", str(stage), policy=tree.spec("data-roots"))
    assert result.returncode == 1
    assert "refused by the rhl-guard path policy" in result.stderr
    assert (tree.outside / "precious").exists()


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("none", "rhl-guard has no path policy configured: path operations are refused"),
        ("nosuch", "rhl-guard path policy unavailable: unknown path policy 'nosuch'"),
    ],
)
def test_path_helpers_fail_closed_on_a_bad_policy(tree: Tree, policy: str, message: str) -> None:  # noqa: F811
    for args in (["rhl-clear", str(tree.data / "proj" / "STAGE-a")], ["rhl-ps-persistent", str(tree.data)]):
        result = _helper(tree, args[0], *args[1:], policy=policy)
        assert result.returncode == 1
        assert result.stderr.startswith(f"{args[0]}: {message}") and result.stderr.count("\n") == 1
    assert (tree.data / "proj" / "STAGE-a" / "buf1").exists()


def test_ps_persistent_rechecks_roots_and_filters_rows(tree: Tree) -> None:  # noqa: F811
    refused = _helper(tree, "rhl-ps-persistent", str(tree.outside), policy=tree.spec("data-roots"))
    assert refused.returncode == 1 and "refused by the rhl-guard path policy" in refused.stderr
    listed = _helper(
        tree, "rhl-ps-persistent", "--json", "--level", "2", str(tree.data), policy=tree.spec("data-roots")
    )
    assert listed.returncode == 0, listed.stderr
    paths = [json.loads(line)["path"] for line in listed.stdout.splitlines()]
    assert str(tree.data / "proj" / "escape") not in paths  # leads outside: neither reported nor walked
    assert str(tree.data / "proj" / ".hidden") not in paths
    assert str(tree.data / "proj" / "STAGE-a") in paths and str(tree.data / "proj" / "plain") in paths
    unguarded = _helper(tree, "rhl-ps-persistent", "--json", "--level", "2", str(tree.data), policy="")
    assert str(tree.data / "proj" / "escape") in unguarded.stdout  # the filter is the guard's only


def test_launch_service_rechecks_its_workdir(tree: Tree) -> None:  # noqa: F811
    tools = tree.tmp / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    link = tree.work / "swapped"
    link.symlink_to(tree.outside)
    status = tree.home / ".remote-http-launcher" / "server" / "ex.json"
    common = ["--key", "ex", "--", "rhl-example-service", "--status-file", str(status), "--exit-before-ready"]
    extra = {"RHL_TOOLS_YAML": str(tools)}
    refused = _helper(
        tree,
        "rhl-launch-service",
        "--workdir",
        str(link / "w"),
        *common,
        policy=tree.spec("data-roots"),
        extra=extra,
    )
    assert refused.returncode == 1
    assert "refused by the rhl-guard path policy" in refused.stderr
    assert not (tree.outside / "w").exists()
    allowed = _helper(
        tree,
        "rhl-launch-service",
        "--workdir",
        str(tree.work / "w"),
        *common,
        policy=tree.spec("data-roots"),
        extra=extra,
    )
    assert allowed.returncode == 0, allowed.stderr
    assert (tree.work / "w").is_dir()
