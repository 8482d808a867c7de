"""rhl-batch --each through rhl-guard: the guard expands every template itself, once, from the
state files the helpers read, decides each expanded line exactly as if it came alone (and
each template with a placeholder key, so a template is refused even when it selects
nothing), refuses the whole batch when any part is refused, and runs exactly what it decided."""

from __future__ import annotations

import json
import pathlib
import shlex

import pytest
from guardkit import EXIT_REJECTED, Tree, run_guard, tree  # noqa: F401

POLICY = ("--clear-policy", "seamless")
META = {"service": "hashserver", "cluster": "remote", "project": "proj"}


def batch(*words: str) -> str:
    return shlex.join(["rhl-batch", *words])


def each(template: str) -> str:
    return f"--each={template}"


def server(tree: Tree) -> pathlib.Path:  # noqa: F811
    directory = tree.home / ".remote-http-launcher" / "server"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def state_file(tree: Tree, key: str, meta: object) -> None:  # noqa: F811
    (server(tree) / f"{key}.json").write_text(json.dumps({"status": "stale", "pid": None, "meta": meta}))


def data_files(tree: Tree) -> dict[str, object]:  # noqa: F811
    return {k: v for k, v in tree.snapshot().items() if "/.remote-http-launcher/guard" not in k}


@pytest.fixture
def states(tree: Tree) -> Tree:  # noqa: F811
    state_file(tree, "hs-a", META)
    state_file(tree, "hs-b", {**META, "stage": "fing"})
    state_file(tree, "db-a", {"service": "database", "cluster": "remote"})
    # Hostile file names with matching meta: no valid key, never put on a command line.
    for name in ("a;id", "$(id)", "--json", "x y", "..", "a'b"):
        state_file(tree, name, META)
    (server(tree) / "corrupt.json").write_text("{")
    return tree


def test_an_expanded_line_runs_as_it_would_run_alone(states: Tree) -> None:
    command = batch(
        each("--meta-cluster remote --meta-service hashserver rhl-inspect {key}"),
        each("--meta-cluster remote --except hs-a rhl-verify-port --key {key}"),
        "rhl-ps --key --no-status",
    )
    result = run_guard(states, "PATH=$HOME/bin:$PATH " + command, *POLICY)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["argv"], r.get("each"), r.get("key")) for r in rows] == [
        (["rhl-ps", "--key", "--no-status"], None, None),
        (["rhl-inspect", "hs-a"], 0, "hs-a"),
        (["rhl-inspect", "hs-b"], 0, "hs-b"),
        (["rhl-verify-port", "--key", "db-a"], 1, "db-a"),
        (["rhl-verify-port", "--key", "hs-b"], 1, "hs-b"),
    ]
    for row in rows[1:]:
        alone = run_guard(states, shlex.join(row["argv"]), *POLICY)
        assert (row["rc"], row["stdout"], row["stderr"]) == (alone.returncode, alone.stdout, alone.stderr)
    assert rows[3]["rc"] == 3  # db-a's state names no running service: what --key says alone


def test_the_guard_decides_every_expanded_line_as_a_line(states: Tree) -> None:
    """The accepted outcome holds, per expanded line, the outcome that line gets alone."""
    outcome = states.decide(batch(each("--meta-cluster remote rhl-logs {key} --tail 5"), "rhl-ps"))
    assert outcome.accepted, outcome
    assert outcome.tags == [None, (0, "db-a"), (0, "hs-a"), (0, "hs-b")]
    for inner, tag in zip(outcome.inner[1:], outcome.tags[1:]):
        assert tag is not None
        alone = states.decide(f"rhl-logs {tag[1]} --tail 5")
        assert (inner.helper, inner.argv, inner.values) == (alone.helper, alone.argv, alone.values)


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        # Refused for the placeholder key, whatever the selection picks (here: nothing).
        ("--meta-cluster nowhere rhl-verify-port 192.0.2.1 {key}", "rhl-verify-port: "),
        ("--meta-cluster nowhere rhl-clear {key}", "rhl-clear: "),
        ("--meta-cluster nowhere rhl-ps-persistent --json {outside} {key}", "rhl-ps-persistent: "),
        ("--meta-cluster remote rhl-logs {key} --follow", "rhl-logs --follow cannot run inside rhl-batch"),
        ("--meta-cluster remote rhl-guard {key}", "not an rhl-* helper of this installation: 'rhl-guard'"),
        (
            "--meta-cluster remote rhl-inspect {key} `id`",
            "shell syntax is not supported (no shell runs): '`'",
        ),
        ("--meta-cluster remote rhl-inspect --runtime={key}", "shell syntax is not supported"),
        ("--meta-cluster remote PATH=/x rhl-inspect {key}", "not an rhl-* helper of this installation"),
        ("rhl-inspect {key}", "--meta-cluster NAME is required"),
    ],
)
def test_one_refused_template_refuses_the_whole_batch(states: Tree, template: str, reason: str) -> None:
    template = template.replace("{outside}", str(states.outside))
    stage = states.data / "proj" / "STAGE-a"
    before = data_files(states)
    result = run_guard(states, batch(each(template), f"rhl-clear {stage}", "rhl-ps"), *POLICY)
    assert (result.returncode, result.stdout) == (EXIT_REJECTED, ""), result
    prefix = f"rhl-guard: rejected: rhl-batch: --each {template!r}: "
    assert result.stderr.startswith(prefix + reason), result.stderr
    assert [r["reason"] for r in result.audit] == [
        result.stderr.removeprefix("rhl-guard: rejected: ").rstrip()
    ]
    assert data_files(states) == before  # the accepted rhl-clear line did not run
    assert (stage / "buf1").is_file()


def test_hostile_state_file_names_are_never_expanded(states: Tree) -> None:
    result = run_guard(
        states, batch(each("--meta-cluster remote rhl-inspect {key}"), "rhl-ps --key"), *POLICY
    )
    assert result.returncode == 0, result.stderr
    keys = [json.loads(line).get("key") for line in result.stdout.splitlines()]
    assert keys == [None, "db-a", "hs-a", "hs-b"]


def test_the_guard_expands_from_its_own_state_directory(states: Tree, tmp_path: pathlib.Path) -> None:
    """With --state-dir the helpers read that directory: so does the expansion (the client's
    REMOTE_HTTP_LAUNCHER_DIR is scrubbed, it cannot point the expansion elsewhere)."""
    other = tmp_path / "admin-state"
    (other / "server").mkdir(parents=True)
    (other / "server" / "admin-key.json").write_text(json.dumps({"status": "stale", "meta": META}))
    command = batch(each("--meta-cluster remote rhl-inspect {key}"), "rhl-ps --key")
    result = run_guard(
        states,
        command,
        *POLICY,
        "--state-dir",
        str(other),
        env={"REMOTE_HTTP_LAUNCHER_DIR": str(states.home / ".remote-http-launcher")},
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["argv"], r["rc"]) for r in rows] == [
        (["rhl-ps", "--key"], 0),
        (["rhl-inspect", "admin-key"], 0),
    ]
    assert rows[0]["stdout"] == "admin-key\n"
