"""The installed rhl-guard as sshd runs it: options, exit codes, what runs, the environment."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
from guardkit import EXIT_CONFIG, EXIT_REJECTED, Tree, audit_file, guard_env, run_guard, tree  # noqa: F401

from conftest import find_command
from remote_http_launcher import __version__
from remote_http_launcher.commands import render_info
from remote_http_launcher.guard import HELP

PREPEND = "PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH"


def _seamless(tree: Tree) -> list[str]:  # noqa: F811
    return ["--clear-policy", "seamless"]


@pytest.mark.parametrize("command", [None, ""])
def test_no_command_is_an_interactive_session(tree: Tree, command: str | None) -> None:  # noqa: F811
    result = run_guard(tree, command, "--clear-policy", "seamless")
    assert result.returncode == EXIT_REJECTED
    assert result.stdout == ""
    assert result.stderr.startswith("rhl-guard: this program is an SSH guard for remote-http-launcher.\n")
    assert 'command="' in result.stderr and 'SSH_ORIGINAL_COMMAND="rhl-ps --json"' in result.stderr
    assert [r["reason"] for r in result.audit] == ["no command (interactive session)"]


@pytest.mark.parametrize("command", [" ", "   "])
def test_whitespace_command_is_refused(tree: Tree, command: str) -> None:  # noqa: F811
    result = run_guard(tree, command)
    assert result.returncode == EXIT_REJECTED
    assert result.stderr == "rhl-guard: rejected: empty command (interactive session not allowed)\n"


def test_helper_runs_in_process_not_from_path(tree: Tree, tmp_path: pathlib.Path) -> None:  # noqa: F811
    """A fake rhl-ps (and a fake rhl-evil) first on PATH are never executed."""
    fake_bin = tmp_path / "fakebin"
    fake_bin.mkdir()
    witness = tmp_path / "witness"
    for name in ("rhl-ps", "rhl-evil", "rhl-guard"):
        script = fake_bin / name
        script.write_text(f"#!/bin/sh\necho {name} >> {witness}\n")
        script.chmod(0o755)
    env = {"PATH": f"{fake_bin}{os.pathsep}{guard_env(tree, None)['PATH']}"}
    ok = run_guard(tree, f"{PREPEND} rhl-ps --json", env=env)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == "" and ok.stderr == ""  # no state yet: no rows
    for command in ("rhl-evil", "rhl-guard", "PATH=/x rhl-evil"):
        refused = run_guard(tree, command, env=env)
        assert refused.returncode == EXIT_REJECTED
    assert not witness.exists()


def test_helper_output_and_exit_code_pass_through(tree: Tree) -> None:  # noqa: F811
    state = tree.home / ".remote-http-launcher" / "server"
    state.mkdir(parents=True)
    (state / "k1.json").write_text(json.dumps({"status": "failed", "pid": None}))
    listed = run_guard(tree, f"{PREPEND} rhl-ps --key")
    assert (listed.returncode, listed.stdout) == (0, "k1\n")
    missing = run_guard(tree, "rhl-inspect nope")
    assert missing.returncode == 1
    assert missing.stderr == "rhl-inspect: no state file for 'nope'\n"
    assert missing.audit == []  # a helper's own error is not a guard rejection
    dead = run_guard(tree, "rhl-pid-alive 999999999")
    assert dead.returncode in (1, 64)


def test_help_and_version_of_helpers_are_static(tree: Tree) -> None:  # noqa: F811
    result = run_guard(tree, "rhl-ps --help")
    assert (result.returncode, result.stdout) == (0, render_info("rhl-ps", "help"))
    result = run_guard(tree, "rhl-launch-service -h")
    assert (result.returncode, result.stdout) == (0, render_info("rhl-launch-service", "help"))
    result = run_guard(tree, "rhl-stop --version")
    assert (result.returncode, result.stdout) == (0, f"rhl-stop, version {__version__}\n")


def test_guard_help_version_and_policies(tree: Tree) -> None:  # noqa: F811
    result = run_guard(tree, None, "--help")
    assert (result.returncode, result.stdout, result.stderr) == (0, HELP, "")
    result = run_guard(tree, None, "--version")
    assert (result.returncode, result.stdout) == (0, f"rhl-guard, version {__version__}\n")
    result = run_guard(tree, None, "--list-policies")
    assert result.returncode == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"data-roots", "seamless", "marker", "permissive"} <= set(names)
    assert "[builtin]" in result.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--bogus"], "unknown rhl-guard option: --bogus"),
        (["--data-roots"], "--data-roots requires a path"),
        (["--clear-policy"], "--clear-policy requires a value"),
        (["--clear-policy", "other"], "--clear-policy must be 'seamless' or 'marker:NAME'"),
        (["--clear-policy", "seamless", "--permissive-paths"], "are mutually exclusive"),
        (["--policy", "seamless", "--data-roots", "/x"], "are mutually exclusive"),
        (["--permissive-paths", "--permissive-paths"], "given twice"),
        (["--label", ""], "--label must be"),
        (["--state-dir", "relative"], "--state-dir must be an absolute path"),
        (["--data-roots="], "--data-roots requires a path"),
        (["--permissive-paths=yes"], "unknown rhl-guard option: --permissive-paths=yes"),
    ],
)
def test_configuration_errors_refuse_everything(tree: Tree, options: list[str], message: str) -> None:  # noqa: F811
    result = run_guard(tree, "rhl-ps --json", *options)
    assert result.returncode == EXIT_CONFIG
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rhl-guard: configuration error: ")
    assert message in lines[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--data-roots", "/nonexistent/roots"], "could not read --data-roots file '/nonexistent/roots': "),
        (["--clear-policy", "marker:a/b"], "--clear-policy marker:NAME requires a simple marker filename"),
        (["--policy", "nosuch"], "unknown path policy 'nosuch'"),
        (["--policy", "Bad_Name"], "invalid policy name"),
    ],
)
def test_policy_errors_refuse_path_helpers(tree: Tree, options: list[str], message: str) -> None:  # noqa: F811
    """A bad policy is found when a path helper needs it (rhl-ps never pays for building it),
    and at once by --dry-run without a command (the administrator's check)."""
    result = run_guard(tree, f"rhl-clear {tree.data}/proj/STAGE-a", *options)
    assert result.returncode == EXIT_CONFIG
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert "no such file or directory" not in result.stderr.lower()  # 0.4.5 reads that as "not installed"
    check = run_guard(tree, None, *options, "--dry-run")
    assert check.returncode == EXIT_CONFIG and message in check.stderr
    assert (tree.data / "proj" / "STAGE-a" / "buf1").exists()


def test_bad_data_roots_file_contents(tree: Tree) -> None:  # noqa: F811
    bad = tree.tmp / "bad-roots"
    for text, message in [
        ("# nothing\n\n", "--data-roots file does not contain any usable roots"),
        ("relative/dir\n", "--data-roots entry on line 1 is not absolute after ~ expansion: 'relative/dir'"),
        (
            f"{tree.data}\nwrite: /x\n",
            "--data-roots line 2: unknown use 'write' (expected clear, read or workdir)",
        ),
    ]:
        bad.write_text(text)
        result = run_guard(tree, None, "--data-roots", str(bad), "--dry-run")
        assert result.returncode == EXIT_CONFIG
        assert result.stderr == f"rhl-guard: configuration error: {message}\n"


def test_dry_run(tree: Tree) -> None:  # noqa: F811
    ok = run_guard(tree, None, "--data-roots", str(tree.roots_file), "--dry-run")
    assert ok.returncode == 0
    assert ok.stdout == f"rhl-guard: configuration OK; policy data-roots:{tree.roots_file}\n"
    decided = run_guard(
        tree,
        f"{PREPEND} rhl-clear '{tree.data}/proj/STAGE-a'",
        "--data-roots",
        str(tree.roots_file),
        "--dry-run",
    )
    assert decided.returncode == 0, decided.stderr
    assert decided.stdout.splitlines() == [
        f"rhl-guard: would run rhl-clear {tree.data}/proj/STAGE-a",
        f"rhl-guard: clear {tree.data}/proj/STAGE-a -> {tree.data}/proj/STAGE-a",
        f"rhl-guard: policy data-roots:{tree.roots_file}",
    ]
    assert (tree.data / "proj" / "STAGE-a" / "buf1").exists()  # nothing ran


def test_injected_environment_is_not_honoured(tree: Tree) -> None:  # noqa: F811
    """REMOTE_HTTP_LAUNCHER_DIR, RHL_TOOLS_YAML and friends from the client side are dropped;
    the administrator sets them with --state-dir / --tools-yaml."""
    evil_state = tree.tmp / "evil-state"
    (evil_state / "server").mkdir(parents=True)
    (evil_state / "server" / "evil.json").write_text('{"status": "failed"}')
    env = {
        "REMOTE_HTTP_LAUNCHER_DIR": str(evil_state),
        "RHL_DEBUG": "1",
        "_RHL_PS_COMPLETE": "bash_source",
    }
    listed = run_guard(tree, "rhl-ps --key", env=env)
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "", "")
    admin = run_guard(tree, "rhl-ps --key", "--state-dir", str(evil_state), env=env)
    assert (admin.returncode, admin.stdout) == (0, "evil\n")

    tools = tree.tmp / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    launch = (
        f"rhl-launch-service --key ex --workdir {tree.work}/ex -- rhl-example-service "
        f"--status-file {tree.home}/.remote-http-launcher/server/ex.json --exit-before-ready"
    )
    refused = run_guard(
        tree, launch, "--data-roots", str(tree.roots_file), env={"RHL_TOOLS_YAML": str(tools)}
    )
    assert refused.returncode == 1
    assert "service binary is not whitelisted: 'rhl-example-service'" in refused.stderr


def test_policy_is_handed_to_the_helper_not_taken_from_the_client(tree: Tree) -> None:  # noqa: F811
    """RHL_GUARD_POLICY from the client side cannot loosen anything: the guard sets its own."""
    result = run_guard(
        tree,
        f"rhl-ps-persistent --json --level 2 {tree.data}",
        "--clear-policy",
        "seamless",
        env={"RHL_GUARD_POLICY": "permissive"},
    )
    assert result.returncode == 0, result.stderr
    reported = [json.loads(line)["path"] for line in result.stdout.splitlines()]
    # seamless: only marked leaves are reported; the unmarked root and proj/plain are walked
    # but not reported; escape-marked is reported under its in-root name.
    assert reported == [
        f"{tree.data}/proj/STAGE-a",
        f"{tree.data}/proj/STAGE-b",
        f"{tree.data}/proj/escape-marked",
    ]


def test_debug_tracebacks_never_reach_a_remote_client(tree: Tree) -> None:  # noqa: F811
    result = run_guard(
        tree, "rhl-ps --json", "--permissive-paths", env={"RHL_DEBUG": "1", "SSH_CONNECTION": "1 2 3 4"}
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_audit_record_and_log_rotation(tree: Tree) -> None:  # noqa: F811
    env = {"SSH_CONNECTION": "192.0.2.9 50000 192.0.2.2 22", "USER": "svc"}
    result = run_guard(tree, "kill -1 1", "--permissive-paths", "--label", "ci key", env=env)
    assert result.returncode == EXIT_REJECTED
    (record,) = result.audit
    assert record["client"] == "192.0.2.9 port 50000"
    assert record["user"] == "svc" and record["uid"] == os.getuid()
    assert record["key_label"] == "ci key" and record["policy"] == "permissive"
    assert record["reason"] == "not an allowed helper: 'kill'"
    assert record["stage"] == "guard" and record["event"] == "rejected"
    log = audit_file(tree)
    assert log.stat().st_mode & 0o777 == 0o600
    assert log.parent.stat().st_mode & 0o777 == 0o700
    # A log past its size limit is rotated to .1, and writing goes on.
    with log.open("a") as handle:
        handle.write("x" * (8 << 20))
    run_guard(tree, "kill -1 2", env=env)
    assert log.with_name("rejected.jsonl.1").exists()
    assert [json.loads(line)["command"] for line in log.read_text().splitlines()] == ["kill -1 2"]


def test_audit_log_elsewhere_and_unwritable(tree: Tree) -> None:  # noqa: F811
    custom = tree.tmp / "audit" / "guard.jsonl"
    run_guard(tree, "kill -1 1", "--audit-log", str(custom))
    assert json.loads(custom.read_text())["command"] == "kill -1 1"
    blocked = tree.tmp / "blocked"
    blocked.write_text("a file where a directory should be")
    result = run_guard(tree, "kill -1 1", "--audit-log", str(blocked / "x.jsonl"))
    assert result.returncode == EXIT_REJECTED  # an unwritable audit log never changes a decision


def test_key_fingerprint_when_sshd_exposes_auth_info(tree: Tree) -> None:  # noqa: F811
    import base64
    import hashlib

    blob = b"\x00\x00\x00\x0bssh-ed25519" + bytes(range(36))
    auth = tree.tmp / "auth-info"
    auth.write_text(f"publickey ssh-ed25519 {base64.b64encode(blob).decode()}\n")
    result = run_guard(tree, "kill -1 1", env={"SSH_USER_AUTH": str(auth)})
    expected = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert result.audit[0]["key_fingerprint"] == expected


def test_own_bin_directory_is_on_path_for_services(tree: Tree) -> None:  # noqa: F811
    """Services are looked up on PATH; the client's prepend is dropped, the guard's own bin
    directory (where rhl-example-service lives in this environment) comes first instead."""
    tools = tree.tmp / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    status = tree.home / ".remote-http-launcher" / "server" / "ex.json"
    guard = find_command("rhl-guard")
    env = guard_env(tree, None)
    env["PATH"] = "/usr/bin:/bin"
    env["SSH_ORIGINAL_COMMAND"] = (
        f"{PREPEND} rhl-launch-service --key ex --workdir {tree.work}/ex -- rhl-example-service "
        f"--status-file {status} --exit-before-ready"
    )
    proc = subprocess.run(
        [guard, "--data-roots", str(tree.roots_file), "--tools-yaml", str(tools)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["launched"] is True
    assert (tree.work / "ex").is_dir()


def _with_importtime(
    argv: list[str], env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``argv`` (a Python and its arguments) with ``-X importtime``: the process, and the
    modules it imported."""
    proc = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    lines = proc.stderr.splitlines()
    return proc, {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time:")}


def _skip_if_editable() -> None:
    """The isolated form finds the package in the environment's site-packages; an editable
    install is elsewhere, and starts through site instead (docs/guard/admin-guide.md)."""
    import remote_http_launcher

    guard = pathlib.Path(find_command("rhl-guard"))
    package = pathlib.Path(remote_http_launcher.__file__).resolve()
    if not package.is_relative_to(guard.parent.parent.resolve()):
        pytest.skip("an editable install: the isolated guard starts through site (admin guide)")


def test_isolated_form(tree: Tree) -> None:  # noqa: F811
    """`python3 -I -S rhl-guard` (the admin guide's isolated form) decides and runs the same,
    finding its package without the site machinery."""
    _skip_if_editable()
    guard = find_command("rhl-guard")
    python = str(pathlib.Path(guard).parent / "python3")
    state = tree.home / ".remote-http-launcher" / "server"
    state.mkdir(parents=True)
    (state / "k1.json").write_text(json.dumps({"status": "failed"}))
    for command, code, out in [(f"{PREPEND} rhl-ps --key", 0, "k1\n"), ("id", EXIT_REJECTED, "")]:
        env = guard_env(tree, command, {"PYTHONPATH": "/nonexistent", "RHL_DEBUG": "1"})
        proc, imported = _with_importtime([python, "-I", "-S", guard, "--clear-policy", "seamless"], env)
        assert (proc.returncode, proc.stdout) == (code, out), proc.stderr
        assert "remote_http_launcher.guard" in imported
        assert not imported & {"site", "sitecustomize", "_distutils_hack"}, "fell back to the site machinery"


def _imported(argv: list[str], env: dict[str, str]) -> set[str]:
    proc, imported = _with_importtime(argv, env)
    assert proc.returncode == 0, proc.stderr
    return imported


@pytest.mark.parametrize(
    ("command", "checks"),
    [
        (f"{PREPEND} rhl-ps --json", set()),
        ("rhl-stop k1", {"remote_http_launcher.paths", "remote_http_launcher.errors"}),  # the key's check
    ],
)
def test_the_decision_loads_only_the_guards_own_modules(tree: Tree, command: str, checks: set[str]) -> None:  # noqa: F811
    """Deciding a command (the isolated form, --dry-run) imports no standard-library module
    beyond what ``import os`` brings, and of this package only the isolated start, the guard,
    the command table, the word splitter and the parser: every SSH call pays for each module
    it loads (the guard's figures in benchmarks/), and a module that imports ``__future__`` or
    ``re`` again fails here."""
    _skip_if_editable()
    guard = find_command("rhl-guard")
    python = str(pathlib.Path(guard).parent / "python3")
    env = guard_env(tree, command)
    baseline = _imported([python, "-I", "-S", "-c", "import os"], env)
    loaded = _imported([python, "-I", "-S", guard, "--clear-policy", "seamless", "--dry-run"], env)
    ours = {
        "remote_http_launcher",
        "remote_http_launcher.isolated",
        "remote_http_launcher.guard",
        "remote_http_launcher.guard._decide",
        "remote_http_launcher.commands",
        "remote_http_launcher.commands._run",
        "remote_http_launcher.commands._table",
        "remote_http_launcher.commands._words",
        "remote_http_launcher.commands._parse",
    }
    assert loaded - baseline - {"math"} == ours | checks


def _fake_venv(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A venv made by hand around this interpreter: ``pyvenv.cfg``, ``bin/python3``, and a
    site-packages holding our package (a link to the installed one) and two ``.pth`` files:
    one listing a plain directory, one with code that leaves a witness file. (prefix, witness)"""
    import remote_http_launcher

    guard = pathlib.Path(find_command("rhl-guard"))
    python = (guard.parent / "python3").resolve()
    prefix = tmp_path / "venv"
    site = prefix / "lib" / "python{}.{}".format(*sys.version_info[:2]) / "site-packages"
    site.mkdir(parents=True)
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python3").symlink_to(python)
    (prefix / "pyvenv.cfg").write_text(f"home = {python.parent}\ninclude-system-site-packages = false\n")
    (site / "remote_http_launcher").symlink_to(pathlib.Path(remote_http_launcher.__file__).parent)
    (site / "plain").mkdir()
    witness = tmp_path / "witness"
    (site / "a-plain.pth").write_text("# a comment\nplain\nmissing-dir\n")
    (site / "b-code.pth").write_text(f"import pathlib; pathlib.Path({str(witness)!r}).write_text('ran')\n")
    return prefix, witness


def test_the_isolated_form_runs_no_pth_code(tree: Tree, tmp_path: pathlib.Path) -> None:  # noqa: F811
    """Under `python3 -I -S rhl-guard` the guard finds its package in the environment's
    site-packages and the plain directories its .pth files list, and runs no .pth code; the
    same environment started normally does run it (so the witness would show it)."""
    prefix, witness = _fake_venv(tmp_path)
    guard = find_command("rhl-guard")
    env = guard_env(tree, f"{PREPEND} rhl-ps --json")
    argv = [guard, "--clear-policy", "seamless", "--dry-run"]
    isolated = subprocess.run(
        [str(prefix / "bin" / "python3"), "-I", "-S", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert (isolated.returncode, isolated.stderr) == (0, ""), isolated.stderr
    assert isolated.stdout.startswith("rhl-guard: would run rhl-ps --json\n")
    assert not witness.exists()
    normal = subprocess.run(
        [str(prefix / "bin" / "python3"), "-c", "pass"], capture_output=True, text=True, env=env, timeout=60
    )
    assert normal.returncode == 0, normal.stderr
    assert witness.read_text() == "ran"


def test_add_path_dirs_puts_each_site_dirs_entries_after_it(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As site.addsitedir: a site directory's .pth entries follow it, in file then line order;
    import lines, comments, missing and already listed directories are skipped."""
    from remote_http_launcher.isolated import add_path_dirs

    first, second = tmp_path / "first", tmp_path / "second"
    for directory in (first / "d1", first / "d0", second / "d2", tmp_path / "shared"):
        directory.mkdir(parents=True)
    (first / "b.pth").write_text("d1\nimport os\n")
    (first / "a.pth").write_text("# comment\n\nd0\nnope\n")
    (second / "c.pth").write_text(f"d2\n{tmp_path / 'shared'}\n../first/d1\n")
    (second / "bad.pth").write_bytes(b"\xff\xfe\n")
    start = ["/elsewhere", str(first), str(tmp_path / "shared"), str(second)]
    monkeypatch.setattr(sys, "path", list(start))
    add_path_dirs([str(first), str(second)])
    assert sys.path == [
        "/elsewhere",
        str(first),
        str(first / "d0"),
        str(first / "d1"),
        str(tmp_path / "shared"),
        str(second),
        str(second / "d2"),
    ]
