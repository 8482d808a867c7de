"""Shell completion of the rhl-* KEY arguments, through the installed helpers.

Every argument or option the command table checks as a key (``check="key"``) completes to the
keys of this machine's state files: server state files; for rhl-rm the client connection
files too, or only one side with --client / --server; for rhl-logs also the keys whose log
outlived their state file. Only names that are valid keys are offered, a key already on the
command line is not offered again, and completing reads directory listings only: no state
file is opened (a FIFO cannot block it) and nothing is written.
"""

from __future__ import annotations

import os
import pathlib
import subprocess

from conftest import RhlEnv, find_command

SERVER_KEYS = ["alpha-1", "alpha-2", "beta_3"]
CLIENT_KEYS = ["alpha-9", "client.only"]


def _world(rhl: RhlEnv) -> None:
    for key in SERVER_KEYS:
        rhl.write_server(key, {"status": "stale"})
    for key in CLIENT_KEYS:
        rhl.write_client(key, {"status": "running"})
    # Not keys: hidden, temporary, a name a key cannot have, not a state file at all.
    for name in (".alpha-hidden.json", ".alpha-1.123.tmp", "bad key.json", "-dash.json", "alpha-1.lock"):
        (rhl.server / name).write_text("{}")
    os.mkfifo(rhl.server / "fifo-key.json")  # listed, never opened
    (rhl.server / "alpha-1.log").write_text("log\n")
    (rhl.server / "gone-4.log").write_text("log of a removed service\n")
    (rhl.server / "older-5.log.1").write_text("previous launch\n")


def _raw(rhl: RhlEnv, words: list[str], shell: str = "bash") -> subprocess.CompletedProcess[str]:
    command = words[0]
    var = "_" + command.upper().replace("-", "_") + "_COMPLETE"
    env = {k: v for k, v in rhl.env.items() if not k.endswith("_COMPLETE")}
    env.update({var: f"{shell}_complete", "COMP_WORDS": " ".join(words), "COMP_CWORD": str(len(words) - 1)})
    return subprocess.run(
        [find_command(command)], capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL
    )


def offered(rhl: RhlEnv, *words: str) -> list[str]:
    proc = _raw(rhl, list(words))
    assert (proc.returncode, proc.stderr) == (0, ""), proc
    lines = [line for line in proc.stdout.splitlines() if line]
    assert all(line.startswith("plain,") for line in lines), lines
    return [line.split(",", 1)[1] for line in lines]


def _tree(root: pathlib.Path) -> dict[str, int]:
    return {str(p): p.lstat().st_mtime_ns for p in sorted(root.rglob("*"))}


def test_server_keys(rhl: RhlEnv) -> None:
    _world(rhl)
    everything = [*SERVER_KEYS, "fifo-key"]
    assert offered(rhl, "rhl-stop", "") == everything
    assert offered(rhl, "rhl-inspect", "") == everything
    assert offered(rhl, "rhl-jobs", "--system", "slurm", "") == everything
    assert offered(rhl, "rhl-launch-service", "--key", "") == everything
    assert offered(rhl, "rhl-stop", "al") == ["alpha-1", "alpha-2"]
    assert offered(rhl, "rhl-stop", "--sigint-grace", "1", "b") == ["beta_3"]


def test_a_key_already_given_is_not_offered_again(rhl: RhlEnv) -> None:
    _world(rhl)
    assert offered(rhl, "rhl-stop", "alpha-1", "al") == ["alpha-2"]
    assert offered(rhl, "rhl-jobs", "--system", "slurm", "beta_3", "alpha-2", "") == ["alpha-1", "fifo-key"]


def test_an_invalid_word_before_does_not_stop_completion(rhl: RhlEnv) -> None:
    _world(rhl)
    assert offered(rhl, "rhl-stop", "'bad key'", "--sigint-grace", "abc", "be") == ["beta_3"]


def test_rm_completes_the_sides_it_removes(rhl: RhlEnv) -> None:
    _world(rhl)
    assert offered(rhl, "rhl-rm", "alpha") == ["alpha-1", "alpha-2", "alpha-9"]
    assert offered(rhl, "rhl-rm", "--client", "") == CLIENT_KEYS
    assert offered(rhl, "rhl-rm", "--server", "alpha") == ["alpha-1", "alpha-2"]
    assert offered(rhl, "rhl-rm", "--client", "--server", "alpha") == ["alpha-1", "alpha-2", "alpha-9"]


def test_logs_completes_logs_that_outlived_their_state(rhl: RhlEnv) -> None:
    _world(rhl)
    assert offered(rhl, "rhl-logs", "") == [*SERVER_KEYS, "fifo-key", "gone-4"]
    assert offered(rhl, "rhl-logs", "--tail", "3", "g") == ["gone-4"]


def test_no_state_directory_completes_nothing(rhl: RhlEnv) -> None:
    assert not rhl.base.exists()
    for words in (["rhl-stop", ""], ["rhl-rm", ""], ["rhl-logs", ""], ["rhl-rm", "--client", ""]):
        assert offered(rhl, *words) == []
    assert not rhl.base.exists()


def test_completion_writes_nothing(rhl: RhlEnv) -> None:
    _world(rhl)
    before = _tree(rhl.base)
    for words in (["rhl-stop", ""], ["rhl-rm", ""], ["rhl-logs", ""], ["rhl-inspect", "a"]):
        offered(rhl, *words)
    assert _tree(rhl.base) == before


def test_zsh_form(rhl: RhlEnv) -> None:
    _world(rhl)
    proc = _raw(rhl, ["rhl-inspect", "be"], shell="zsh")
    assert (proc.returncode, proc.stdout.splitlines(), proc.stderr) == (0, ["plain", "beta_3", "_"], "")


def test_options_still_complete(rhl: RhlEnv) -> None:
    """Key values complete in the argument's place; option names still complete after '-'."""
    _world(rhl)
    assert offered(rhl, "rhl-rm", "--f") == ["--force"]
