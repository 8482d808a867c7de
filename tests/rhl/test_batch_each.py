"""rhl-batch --each (issue 16.6): a helper line run for every state key a meta selection picks,
in the same batch, each expanded line answered as its own record (as if it came alone)."""

from __future__ import annotations

import json

import pytest

from conftest import RhlEnv

HS_META = {"service": "hashserver", "cluster": "remote", "project": "p"}


def records(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def each(template: str) -> str:
    return f"--each={template}"


@pytest.fixture
def states(rhl: RhlEnv) -> RhlEnv:
    rhl.write_server("hs-a", {"status": "stale", "pid": None, "meta": HS_META})
    rhl.write_server("hs-b", {"status": "stale", "pid": None, "meta": {**HS_META, "stage": "fing"}})
    rhl.write_server(
        "db-a", {"status": "stale", "pid": None, "meta": {"service": "database", "cluster": "remote"}}
    )
    rhl.write_server("other", {"status": "stale", "pid": None, "meta": {**HS_META, "cluster": "elsewhere"}})
    rhl.write_server("legacy-hs", {"status": "stale", "pid": None})  # no meta: only its key says
    rhl.write_server("corrupt", None, raw="{not json")
    # A file name that is no valid key, with matching meta: never put on a command line.
    rhl.write_server("-x", {"status": "stale", "meta": HS_META})
    return rhl


def test_each_runs_the_line_per_selected_key_as_it_would_run_alone(states: RhlEnv) -> None:
    result = states.run(
        "rhl-batch",
        each("--meta-cluster remote --meta-service hashserver rhl-inspect {key}"),
        each("--meta-cluster remote --except hs-a rhl-logs '{key}' --tail 2"),
        "rhl-ps --key",
    )
    assert (result.returncode, result.stderr) == (0, "")
    rows = records(result.stdout)
    assert [(r["argv"], r.get("each"), r.get("key")) for r in rows] == [
        (["rhl-ps", "--key"], None, None),
        (["rhl-inspect", "hs-a"], 0, "hs-a"),
        (["rhl-inspect", "hs-b"], 0, "hs-b"),
        (["rhl-logs", "db-a", "--tail", "2"], 1, "db-a"),
        (["rhl-logs", "hs-b", "--tail", "2"], 1, "hs-b"),
    ]
    for row in rows[1:]:
        argv = [str(word) for word in row["argv"]]  # type: ignore[union-attr]
        alone = states.run(*argv)
        assert (row["rc"], row["stdout"], row["stderr"]) == (alone.returncode, alone.stdout, alone.stderr), (
            argv
        )
    assert rows[3]["rc"] == 1 and rows[3]["stderr"] == "rhl-logs: no log file for 'db-a'\n"


def test_a_selection_that_picks_nothing_adds_no_record(states: RhlEnv) -> None:
    result = states.run("rhl-batch", each("--meta-cluster nowhere rhl-inspect {key}"), "rhl-ps --key")
    assert result.returncode == 0, result.stderr
    assert [r["argv"] for r in records(result.stdout)] == [["rhl-ps", "--key"]]


REFUSED = [
    ("rhl-inspect {key}", "--meta-cluster NAME is required (the selection of rhl-stop)"),
    ("--meta-cluster remote", "no helper command line after the selection"),
    ("--meta-cluster remote rhl-logs --tail 2", "the command line has no {key} word"),
    ("--meta-cluster remote rhl-inspect --key={key}", "shell syntax is not supported (no shell runs): '{'"),
    ("--meta-cluster remote rhl-inspect x{key}", "shell syntax is not supported (no shell runs): '{'"),
    ("--meta-cluster remote rhl-inspect 'x{key}'", "{key} must be a whole word"),
    ("--meta-cluster remote rhl-inspect {key} $(id)", "shell syntax is not supported (no shell runs): '$'"),
    ("--meta-cluster remote rhl-inspect {key};id", "shell syntax is not supported (no shell runs): '{'"),
    ("--meta-cluster remote rhl-launch-service {key}", "rhl-launch-service cannot run inside rhl-batch"),
    ("--meta-cluster remote rhl-batch {key}", "rhl-batch cannot run inside rhl-batch"),
    ("--meta-cluster remote rhl-logs {key} --follow", "rhl-logs --follow cannot run inside rhl-batch"),
    ("--meta-cluster remote rhl-evil {key}", "not an rhl-* helper of this installation: 'rhl-evil'"),
    ("--meta-cluster remote rhl-logs {key} --bogus", "rhl-logs: unknown option '--bogus'"),
    ("--meta-cluster remote --meta-bogus x rhl-logs {key}", "unknown option '--meta-bogus'"),
    ("--meta-cluster a --meta-cluster b rhl-logs {key}", "option '--meta-cluster' given more than once"),
    (
        "--meta-clu remote rhl-logs {key}",
        "abbreviated option '--meta-clu': write it in full (--meta-cluster)",
    ),
    ("--meta-cluster remote --except ../x rhl-logs {key}", "arguments not accepted"),
    ("--meta-cluster remote 'rhl-logs {key}", "unterminated single quote"),
]


@pytest.mark.parametrize(("template", "message"), REFUSED)
def test_a_template_that_could_not_run_stops_the_whole_batch(
    states: RhlEnv, template: str, message: str
) -> None:
    """Checked before anything runs, whether or not its selection picks a key."""
    data = states.tmp / "data"
    data.mkdir()
    (data / "content").write_text("keep")
    result = states.run("rhl-batch", f"rhl-clear {data}", each(template))
    assert (result.returncode, result.stdout) == (2, ""), result
    assert result.stderr.startswith(f"rhl-batch: --each {template!r}: {message}"), result.stderr
    assert (data / "content").read_text() == "keep"  # the valid line did not run


def test_each_needs_the_equals_form_its_value_starts_with_a_dash(states: RhlEnv) -> None:
    result = states.run("rhl-batch", "--each", "--meta-cluster remote rhl-inspect {key}", "rhl-ps")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "rhl-batch: option '--each' requires a value\n"
