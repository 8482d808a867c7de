"""rhl-batch (issue 16.6, server side): several helper lines, one process, one NDJSON record each."""

from __future__ import annotations

import json

import pytest

from conftest import RhlEnv


def records(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_batch_runs_every_line_in_order_with_its_own_output(rhl: RhlEnv) -> None:
    rhl.write_server("k1", {"key": "k1", "status": "stale", "pid": None})
    absent = rhl.tmp / "absent-data"
    alone = [rhl.run("rhl-ps", "--json", "--no-status"), rhl.run("rhl-inspect", "nope")]
    result = rhl.run(
        "rhl-batch",
        "rhl-ps --json --no-status",
        f"rhl-ps-persistent --json {absent}",
        "rhl-inspect nope",
        "rhl-stop gone-key",
    )
    assert (result.returncode, result.stderr) == (0, "")
    rows = records(result.stdout)
    assert [r["argv"] for r in rows] == [
        ["rhl-ps", "--json", "--no-status"],
        ["rhl-ps-persistent", "--json", str(absent)],
        ["rhl-inspect", "nope"],
        ["rhl-stop", "gone-key"],
    ]
    assert (rows[0]["rc"], rows[0]["stdout"], rows[0]["stderr"]) == (0, alone[0].stdout, alone[0].stderr)
    assert json.loads(str(rows[1]["stdout"]))["state"] == "absent"
    assert (rows[2]["rc"], rows[2]["stdout"], rows[2]["stderr"]) == (1, "", alone[1].stderr)
    assert alone[1].returncode == 1 and alone[1].stderr.startswith("rhl-inspect: ")
    assert (rows[3]["rc"], rows[3]["stdout"]) == (0, "gone-key: missing state\n")
    assert result.stdout.splitlines()[0] == json.dumps(rows[0], sort_keys=True)


def test_quoted_words_and_help_lines(rhl: RhlEnv) -> None:
    weird = rhl.tmp / "dir with 'quote' and space"
    result = rhl.run(
        "rhl-batch", f'rhl-ps-persistent --json "{weird}"', "rhl-stop --help", "rhl-ps --version"
    )
    assert result.returncode == 0, result.stderr
    rows = records(result.stdout)
    assert rows[0]["argv"] == ["rhl-ps-persistent", "--json", str(weird)]
    assert rows[1]["stdout"] == rhl.run("rhl-stop", "--help").stdout
    assert rows[2]["stdout"] == rhl.run("rhl-ps", "--version").stdout


def test_binary_log_output_is_decoded_with_replacement(rhl: RhlEnv) -> None:
    rhl.server.mkdir(parents=True)
    (rhl.server / "k.log").write_bytes(b"ok \xff\xfe end\n")
    result = rhl.run("rhl-batch", "rhl-logs k")
    assert result.returncode == 0, result.stderr
    assert records(result.stdout)[0]["stdout"] == "ok \ufffd\ufffd end\n"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (("rhl-ps --jsn",), "rhl-batch: line 'rhl-ps --jsn': rhl-ps: unknown option '--jsn'\n"),
        (
            ("rhl-batch 'rhl-ps'",),
            "rhl-batch: line \"rhl-batch 'rhl-ps'\": rhl-batch cannot run inside rhl-batch\n",
        ),
        (
            ("rhl-launch-service --key k --workdir /tmp/w -- hashserver",),
            "rhl-batch: line 'rhl-launch-service --key k --workdir /tmp/w -- hashserver': "
            "rhl-launch-service cannot run inside rhl-batch\n",
        ),
        (
            ("rhl-logs k --follow",),
            "rhl-batch: line 'rhl-logs k --follow': rhl-logs --follow cannot run inside rhl-batch\n",
        ),
        (("ls /",), "rhl-batch: line 'ls /': not an rhl-* helper of this installation: 'ls'\n"),
        (
            ("PATH=/x rhl-ps",),
            "rhl-batch: line 'PATH=/x rhl-ps': not an rhl-* helper of this installation: 'PATH=/x'\n",
        ),
        (
            ("rhl-ps; id",),
            "rhl-batch: line 'rhl-ps; id': shell syntax is not supported (no shell runs): ';'\n",
        ),
        (("rhl-ps 'open",), 'rhl-batch: line "rhl-ps \'open": unterminated single quote\n'),
        (("",), "rhl-batch: line '': empty command line\n"),
    ],
)
def test_a_line_that_cannot_run_stops_the_whole_batch(
    rhl: RhlEnv, lines: tuple[str, ...], message: str
) -> None:
    data = rhl.tmp / "data"
    data.mkdir()
    (data / "content").write_text("keep")
    result = rhl.run("rhl-batch", f"rhl-clear {data}", *lines)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)
    assert (data / "content").read_text() == "keep"  # the valid first line did not run


def test_batch_usage_errors_of_its_own(rhl: RhlEnv) -> None:
    missing = rhl.run("rhl-batch")
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        2,
        "",
        "rhl-batch: Missing argument 'CMDLINE...'.\n",
    )
    result = rhl.run("rhl-batch", "--json", "rhl-ps")
    assert result.returncode == 2 and result.stdout == "" and result.stderr.startswith("rhl-batch: ")
    assert "Traceback" not in result.stderr


def test_batch_help(rhl: RhlEnv) -> None:
    result = rhl.run("rhl-batch", "--help")
    assert result.returncode == 0 and result.stdout.startswith("Usage: rhl-batch [OPTIONS] CMDLINE...\n")
