"""rhl-batch through rhl-guard: every line is decided exactly as if it came alone; one refused
line refuses the whole batch and nothing runs."""

from __future__ import annotations

import json
import shlex

import pytest
from guardkit import EXIT_REJECTED, Tree, run_guard, tree  # noqa: F401

POLICY = ("--clear-policy", "seamless")


def batch(*lines: str) -> str:
    return shlex.join(["rhl-batch", *lines])


def data_files(tree: Tree) -> dict[str, object]:  # noqa: F811
    """Everything but the guard's own audit log."""
    return {k: v for k, v in tree.snapshot().items() if "/.remote-http-launcher" not in k}


def test_an_accepted_batch_runs_each_line_as_it_would_run_alone(tree: Tree) -> None:  # noqa: F811
    stage = tree.data / "proj" / "STAGE-a"
    lines = [
        "rhl-ps --json",
        f"rhl-ps-persistent --json {stage}",
        "rhl-stop gone-key",
        "rhl-inspect gone-key",
    ]
    result = run_guard(tree, "PATH=$HOME/bin:$PATH " + batch(*lines), *POLICY)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["argv"] for r in rows] == [shlex.split(line) for line in lines]
    for line, row in zip(lines, rows):
        alone = run_guard(tree, line, *POLICY)
        assert (row["rc"], row["stdout"], row["stderr"]) == (alone.returncode, alone.stdout, alone.stderr), (
            line
        )
    assert rows[3]["rc"] == 1


def test_clear_in_a_batch_runs_after_the_whole_batch_is_accepted(tree: Tree) -> None:  # noqa: F811
    stage = tree.data / "proj" / "STAGE-a"
    result = run_guard(tree, batch("rhl-ps --json", f"rhl-clear {stage}"), *POLICY)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[1])["rc"] == 0
    assert sorted(p.name for p in stage.iterdir()) == [".HASHSERVER_PREFIX"]


REFUSED = [
    ("rhl-clear {outside}", "rhl-clear: "),
    ("rhl-ps --js", "rhl-ps: abbreviated option '--js': write it in full (--json)"),
    ("rhl-ps --json --json", "rhl-ps: option '--json' given more than once"),
    ("rhl-ps --bogus", "rhl-ps: unknown option '--bogus'"),
    ("rhl-verify-port 192.0.2.1 80", "rhl-verify-port: "),
    ("rhl-evil", "not an allowed helper: 'rhl-evil'"),
    ("rhl-guard --dry-run", "rhl-guard cannot run itself"),
]


@pytest.mark.parametrize(("line", "alone_reason"), REFUSED)
def test_one_refused_line_refuses_the_batch_with_its_own_reason(
    tree: Tree,  # noqa: F811
    line: str,
    alone_reason: str,
) -> None:
    stage = tree.data / "proj" / "STAGE-a"
    line = line.format(outside=tree.outside)
    alone = run_guard(tree, line, *POLICY)
    assert alone.returncode == EXIT_REJECTED
    reason = alone.stderr.removeprefix("rhl-guard: rejected: ").rstrip("\n")
    assert reason.startswith(alone_reason)
    before = data_files(tree)
    result = run_guard(tree, batch(f"rhl-clear {stage}", line, "rhl-ps"), *POLICY)
    assert (result.returncode, result.stdout) == (EXIT_REJECTED, "")
    if line.startswith("rhl-guard"):
        assert (
            result.stderr == f"rhl-guard: rejected: rhl-batch: line {line!r}: rhl-guard cannot run itself\n"
        )
    else:
        assert result.stderr == f"rhl-guard: rejected: rhl-batch: line {line!r}: {reason}\n"
    assert [r["reason"] for r in result.audit] == [
        result.stderr.removeprefix("rhl-guard: rejected: ").rstrip()
    ]
    assert data_files(tree) == before  # the accepted rhl-clear line did not run
    assert (stage / "buf1").is_file()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("rhl-batch 'rhl-ps'", "rhl-batch cannot run inside rhl-batch"),
        (
            "rhl-launch-service --key k --workdir {work}/k -- hashserver",
            "rhl-launch-service cannot run inside rhl-batch",
        ),
        ("rhl-logs k -f", "rhl-logs --follow cannot run inside rhl-batch"),
        ("PATH=/x rhl-ps", "not an rhl-* helper of this installation: 'PATH=/x'"),
    ],
)
def test_lines_a_batch_never_runs_are_refused(tree: Tree, line: str, reason: str) -> None:  # noqa: F811
    line = line.format(work=tree.work)
    result = run_guard(tree, batch("rhl-ps", line), *POLICY)
    assert (result.returncode, result.stdout) == (EXIT_REJECTED, "")
    assert result.stderr == f"rhl-guard: rejected: rhl-batch: line {line!r}: {reason}\n"


def test_shell_syntax_inside_a_line_is_refused(tree: Tree) -> None:  # noqa: F811
    result = run_guard(tree, batch("rhl-ps; id"), *POLICY)
    assert result.returncode == EXIT_REJECTED
    assert result.stderr == (
        "rhl-guard: rejected: rhl-batch: line 'rhl-ps; id': "
        "shell syntax is not supported (the guard runs no shell): ';'\n"
    )


def test_dry_run_lists_every_checked_path(tree: Tree) -> None:  # noqa: F811
    stage = tree.data / "proj" / "STAGE-a"
    result = run_guard(tree, batch(f"rhl-clear {stage}"), *POLICY, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"rhl-guard: clear {stage} -> {stage}\n" in result.stdout
    assert len(list(stage.iterdir())) > 1
