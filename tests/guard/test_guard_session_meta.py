"""What issue 16's one round trip per host adds behind rhl-guard: ``rhl-batch --session`` (the
guard says itself that it runs the batch) and ``rhl-stop/rhl-rm --meta-*`` (decided by the
one parser like every option; a bad one refuses the whole batch, and nothing runs)."""

from __future__ import annotations

import json
import shlex

from guardkit import EXIT_REJECTED, Tree, run_guard, tree  # noqa: F401

POLICY = ("--clear-policy", "seamless")


def _state(tree: Tree, key: str, meta: dict[str, str]) -> None:  # noqa: F811
    server = tree.home / ".remote-http-launcher" / "server"
    server.mkdir(parents=True, exist_ok=True)
    (server / f"{key}.json").write_text(json.dumps({"status": "stale", "port": 1, "meta": meta}))


def test_the_guard_says_it_runs_the_batch(tree: Tree) -> None:  # noqa: F811
    command = "PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH " + shlex.join(
        ["rhl-batch", "--session", "rhl-ps --json"]
    )
    result = run_guard(tree, command, *POLICY)
    assert (result.returncode, result.stderr) == (0, ""), result
    ps, session = (json.loads(line) for line in result.stdout.splitlines())
    assert ps["argv"] == ["rhl-ps", "--json"] and ps["rc"] == 0
    # Under the guard no PATH is looked at (the guard decides what runs): plain is null.
    assert session == {"session": {"forced_command": True, "guard": "rhl-guard", "plain": None}}


def test_meta_selection_through_the_guard_alone_and_in_a_batch(tree: Tree) -> None:  # noqa: F811
    _state(tree, "a", {"service": "hashserver", "cluster": "c", "stage": "s"})
    _state(tree, "b", {"service": "hashserver", "cluster": "c"})
    server = tree.home / ".remote-http-launcher" / "server"
    alone = run_guard(tree, "rhl-rm --server --meta-cluster c --meta-stage s", *POLICY)
    assert (alone.returncode, alone.stdout, alone.stderr) == (0, f"removed {server}/a.json\n", "")
    batch = shlex.join(["rhl-batch", "rhl-ps --json", "rhl-stop --meta-cluster=c"])
    result = run_guard(tree, batch, *POLICY)
    assert result.returncode == 0, result
    stop = json.loads(result.stdout.splitlines()[1])
    assert (stop["rc"], stop["stdout"]) == (1, "b: invalid PID\n")


def test_a_bad_meta_option_refuses_the_whole_batch(tree: Tree) -> None:  # noqa: F811
    _state(tree, "a", {"service": "hashserver", "cluster": "c"})
    line = "rhl-stop --meta-cluster c --meta-cluster d"
    alone = run_guard(tree, line, *POLICY)
    assert alone.returncode == EXIT_REJECTED
    assert alone.stderr == "rhl-guard: rejected: rhl-stop: option '--meta-cluster' given more than once\n"
    result = run_guard(tree, shlex.join(["rhl-batch", "rhl-rm --server --meta-cluster c", line]), *POLICY)
    assert (result.returncode, result.stdout) == (EXIT_REJECTED, "")
    reason = "rhl-stop: option '--meta-cluster' given more than once"
    assert result.stderr == f"rhl-guard: rejected: rhl-batch: line {line!r}: {reason}\n"
    assert (tree.home / ".remote-http-launcher" / "server" / "a.json").exists()  # nothing ran
