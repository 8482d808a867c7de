"""A hostile corpus: commands a stolen key could send, each refused with a one-line reason.

Every entry is decided in-process (fast, exact reason) and, for a representative part, also
through the installed rhl-guard (exit 77, one line on stderr, an audit record, nothing run
and nothing touched).
"""

from __future__ import annotations

import pathlib

import pytest
from guardkit import EXIT_REJECTED, Tree, run_guard, tree  # noqa: F401 - fixture

from remote_http_launcher.guard._decide import MAX_COMMAND

# (command template, expected fragment of the reason). {data}, {outside}, {work}, {home},
# {marked}, {sd} (the server state directory) are filled from the test tree. Decided under
# the data-roots policy.
CORPUS = [
    # abbreviations and option games: the helper's own parser, no prefixes
    ("rhl-launch-service --workd {outside} --key k -- hashserver", "abbreviated option '--workd'"),
    (
        "rhl-launch-service --key k --workdir {work}/w --net localhost -- hashserver",
        "abbreviated option '--net'",
    ),
    ("rhl-ps --jso", "abbreviated option '--jso'"),
    ("rhl-clear --forc {data}/proj/STAGE-a", "abbreviated option '--forc'"),
    ("rhl-ps --json=1", "takes no value"),
    ("rhl-ps --json --json", "given more than once"),
    ("rhl-ps --status running --status=stale", "given more than once"),
    ("rhl-launch-service --key k --workdir {work}/w --workdir {outside} -- hashserver", "more than once"),
    ("rhl-launch-service --key k --workdir={outside} -- hashserver", "outside configured --data-roots"),
    ("rhl-launch-service --key=k --workdir={data}/../outside -- hashserver", "dot-prefixed"),
    ("rhl-ps --unknown", "unknown option '--unknown'"),
    ("rhl-ps -j", "unknown option '-j'"),
    ("rhl-logs", "arguments not accepted"),
    ("rhl-logs k1 k2", "arguments not accepted"),
    ("rhl-logs --tail -5 k", "requires a value"),
    ("rhl-stop --sigint-grace nan k", "arguments not accepted"),
    ("rhl-verify-port localhost 80 --attempts 0", "arguments not accepted"),
    ("rhl-jobs --system slurm --port 0", "arguments not accepted"),
    ("rhl-jobs --system slurm ../../etc/passwd", "arguments not accepted"),
    ("rhl-jobs --system slurm --system oar k", "given more than once"),
    ("rhl-jobs --system slurm k; scancel -u svc", "shell syntax"),
    # keys that look like options, or are not keys
    ("rhl-stop -k", "unknown option '-k'"),
    ("rhl-stop -- -k", "arguments not accepted"),
    ("rhl-rm -- --client", "arguments not accepted"),
    ("rhl-inspect ../../etc/passwd", "arguments not accepted"),
    ("rhl-inspect .hidden", "arguments not accepted"),
    ("rhl-logs 'k;id'", "arguments not accepted"),
    # shell syntax: the guard runs no shell, so it refuses what a shell would interpret
    ("rhl-ps; rm -rf ~", "shell syntax"),
    ("rhl-ps --json ; echo owned", "shell syntax"),
    ("rhl-ps --json;id", "shell syntax"),
    ("rhl-ps | sh", "shell syntax"),
    ("rhl-ps && id", "shell syntax"),
    ("rhl-ps || id", "shell syntax"),
    ("rhl-ps & id", "shell syntax"),
    ("rhl-ps $(id)", "shell syntax"),
    ("rhl-ps `id`", "shell syntax"),
    ('rhl-ps "$(id)"', "shell syntax"),
    ('rhl-ps "`id`"', "shell syntax"),
    ("rhl-ps > {home}/owned", "shell syntax"),
    ("rhl-ps >> {home}/owned", "shell syntax"),
    ("rhl-ps < /etc/passwd", "shell syntax"),
    ("rhl-ps 2>&1", "shell syntax"),
    ("rhl-ps <(id)", "shell syntax"),
    ("(rhl-ps)", "shell syntax"),
    ("{{ rhl-ps; }}", "shell syntax"),
    ("rhl-clear {data}/proj/*", "shell syntax"),
    ("rhl-clear {data}/proj/STAGE-?", "shell syntax"),
    ("rhl-clear {data}/proj/[S]TAGE-a", "shell syntax"),
    ("rhl-clear $HOME/data", "shell syntax"),
    ("rhl-clear ${{HOME}}/data", "shell syntax"),
    ("rhl-ps !!", "shell syntax"),
    ("rhl-ps #--json", "shell syntax"),
    ("X=$(id) rhl-ps", "shell syntax"),
    ("X=`id` rhl-ps", "shell syntax"),
    ("X=1;id rhl-ps", "shell syntax"),
    # control characters: newline, NUL, CR, tab, escape, DEL, Unicode line separators
    ("rhl-ps\nid", "control character '\\n'"),
    ("rhl-ps\x00id", "control character '\\x00'"),
    ("rhl-ps\rid", "control character '\\r'"),
    ("rhl-ps\t--json", "control character '\\t'"),
    ("rhl-ps \x1b[2J", "control character '\\x1b'"),
    ("rhl-ps \x7f", "control character '\\x7f'"),
    ("rhl-ps \u2028id", "control character"),
    ("rhl-ps \x85id", "control character"),
    ("rhl-ps \udcff", "control character"),
    # quoting errors
    ("rhl-ps 'unterminated", "unterminated single quote"),
    ('rhl-ps "unterminated', "unterminated double quote"),
    ("rhl-ps \\", "trailing backslash"),
    # not in the table: anything else, by exact name
    ("kill -1 1", "not an allowed helper: 'kill'"),
    ("pkill -f hashserver", "not an allowed helper"),
    ("rm -rf {data}", "not an allowed helper"),
    ("bash -lc 'rhl-ps'", "not an allowed helper: 'bash'"),
    ("sh -c rhl-ps", "not an allowed helper"),
    ("python3 -c 'import os'", "not an allowed helper"),
    ("env rhl-ps", "not an allowed helper: 'env'"),
    ("exec rhl-ps", "not an allowed helper"),
    ("/usr/local/bin/rhl-ps --json", "not an allowed helper"),
    ("./rhl-ps", "not an allowed helper"),
    ("RHL-PS", "not an allowed helper"),
    ("rhl-ps-", "not an allowed helper"),
    ("rhl-psx", "not an allowed helper"),
    ("rhl-example-service", "not an allowed helper"),
    ("remote-http-launcher config.yaml", "not an allowed helper"),
    ("rhl-ps\\ --json", "not an allowed helper"),
    ("scp -t /tmp", "not an allowed helper"),
    ("internal-sftp", "not an allowed helper"),
    # the guard itself
    ("rhl-guard", "rhl-guard cannot run itself"),
    ("rhl-guard --permissive-paths", "rhl-guard cannot run itself"),
    ("PATH=/x rhl-guard", "rhl-guard cannot run itself"),
    ("/usr/local/bin/rhl-guard", "rhl-guard cannot run itself"),
    # empty after assignments
    ("PATH=/x", "empty command after stripping variable assignments"),
    ("A=1 B=2", "empty command after stripping variable assignments"),
    ("   ", "empty command"),
    # paths: .., dot segments, $HOME and ancestors, system roots, outside, escapes
    ("rhl-clear {data}/proj/../../outside", "dot-prefixed segments"),
    ("rhl-clear {data}/proj/STAGE-a/..", "dot-prefixed segments"),
    ("rhl-clear {data}/./proj/STAGE-a", "dot-prefixed segments"),
    ("rhl-clear {data}/proj/.hidden", "dot-prefixed segments"),
    ("rhl-clear {home}/.ssh", "dot-prefixed segments"),
    ("rhl-ps-persistent {home}/.ssh", "dot-prefixed segments"),
    ("rhl-clear ~/.ssh", "dot-prefixed segments"),
    ("rhl-clear ~", "$HOME or an ancestor"),
    ("rhl-clear {home}", "$HOME or an ancestor"),
    ("rhl-clear {home}/", "$HOME or an ancestor"),
    ("rhl-clear {tmp}", "$HOME or an ancestor"),
    ("rhl-ps-persistent /", "$HOME or an ancestor"),
    ("rhl-clear /etc", "system-root"),
    ("rhl-clear /usr/", "system-root"),
    ("rhl-ps-persistent /proc", "system-root"),
    ("rhl-launch-service --key k --workdir /var -- hashserver", "system-root"),
    ("rhl-clear relative/path", "absolute"),
    ("rhl-clear ~nosuchuser/x", "absolute"),
    ("rhl-clear {outside}", "outside configured --data-roots"),
    ("rhl-clear {data}/proj/escape", "outside configured --data-roots"),
    ("rhl-clear {data}/proj/escape/sub", "outside configured --data-roots"),
    ("rhl-ps-persistent {data}/proj/escape", "outside configured --data-roots"),
    ("rhl-ps-persistent {data} {outside}", "outside configured --data-roots"),
    ("rhl-clear {shared}/x", "outside configured --data-roots (clear)"),
    ("rhl-clear {work}", "outside configured --data-roots (clear)"),
    ("rhl-ps-persistent {work}", "outside configured --data-roots (walk)"),
    ("rhl-launch-service --key k --workdir {data}/proj/escape/w -- hashserver", "outside configured"),
    ("rhl-launch-service --key k --workdir {shared}/x -- hashserver", "outside configured"),
    # the service's own arguments (issue 13): paths in every position, prefixes, = forms
    (
        "rhl-launch-service --key k --workdir {work}/w -- hashserver {outside}",
        "(data directory): path is outside",
    ),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver --writable {outside}", "path is outside"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver -- {outside}", "path is outside"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver {data}/proj/escape", "path is outside"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver ../../outside", "dot-prefixed"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver ~", "$HOME or an ancestor"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver {work}/a {work}/b", "unexpected argument"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver --extra-dirs={outside} x", "(read-only"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver --host={outside} x", "takes no path"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver --writable=1 x", "takes no value"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver --port-range=1 2 x", "takes 2 values"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver --port-range 1", "requires 2 value(s)"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver --timeout -1 x", "requires 1 value(s)"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver --port 1 --port 2 x", "more than once"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver -h", "not one the guard knows"),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver --writ x", "not one the guard knows"),
    (
        "rhl-launch-service --key k --workdir {work}/w -- hashserver --extra {data} x",
        "not one the guard knows",
    ),
    (
        "rhl-launch-service --key k --workdir {work}/w -- hashserver --status-fil {sd}/v.json",
        "not one the guard knows",
    ),
    (
        "rhl-launch-service --key k --workdir {work}/w -- hashserver --status-fil={sd}/v.json",
        "not one the guard knows",
    ),
    (
        "rhl-launch-service --key k --workdir {work}/w -- hashserver --status-file={sd}/v.json",
        "must be this key's own state file",
    ),
    (
        "rhl-launch-service --key k --workdir {work}/w -- hashserver --status-file {data}/k.json",
        "must be this key's own state file",
    ),
    ("rhl-launch-service --key k --workdir {work}/w -- hashserver --status-file k.json", "must be absolute"),
    (
        "rhl-launch-service --key k --workdir {work}/w -- seamless-database {outside}/seamless.db",
        "(data file): path is outside",
    ),
    (
        "rhl-launch-service --key k --workdir {work}/w -- seamless-database {data}/proj/escape/seamless.db",
        "(data file): path is outside",
    ),
    ("rhl-launch-service --key k --workdir {work}/w -- seamless-jobserver {outside}", "unexpected argument"),
    ("rhl-launch-service --key k --workdir {work}/w -- seamless-jobserver --worker 2", "not one the guard"),
    ("rhl-launch-service --key k --workdir {work}/w -- seamless-dask-wrapper ~/x::C", "not a Dask cluster"),
    (
        "rhl-launch-service --key k --workdir {work}/w -- other-service {outside}",
        "(undeclared): path is outside",
    ),
    ("rhl-launch-service --key k --workdir {work}/w -- other-service --o={outside}", "(undeclared)"),
    ("rhl-launch-service --key k --workdir {work}/w -- other-service --o=a,{outside}", "(undeclared)"),
    ("rhl-launch-service --key k --workdir {work}/w -- other-service -o{outside}", "cannot tell where"),
    (
        "rhl-launch-service --key k --workdir {work}/w -- other-service --status-fil {home}/x/server/v.json",
        "(undeclared): path is outside",
    ),
    # network probes: only this machine
    ("rhl-verify-port 192.0.2.77 22", "not an address of this machine"),
    ("rhl-verify-port 8.8.8.8 53", "not an address of this machine"),
    ("rhl-verify-port example.com 80", "this host's name"),
    ("rhl-verify-port 127.1 80", "this host's name"),
    ("rhl-handshake http://192.0.2.77:8080/", "not an address of this machine"),
    ("rhl-handshake http://example.com/", "this host's name"),
    ("rhl-handshake http://127.0.0.1@example.com/", "plain host[:port]"),
    ("rhl-handshake http://user:pw@localhost/", "plain host[:port]"),
    ("rhl-handshake http://%6cocalhost/", "plain host[:port]"),
    ("rhl-handshake file:///etc/passwd", "http or https"),
    ("rhl-handshake gopher://localhost/", "http or https"),
]


def _fill(template: str, world: Tree) -> str:
    return template.format(
        data=world.data,
        outside=world.outside,
        work=world.work,
        home=world.home,
        shared=world.shared,
        tmp=world.tmp,
        marked=world.outside_marked,
        sd=world.home / ".remote-http-launcher" / "server",
    )


@pytest.mark.parametrize(("template", "fragment"), CORPUS, ids=[c[0][:40] for c in CORPUS])
def test_hostile_command_is_refused(tree: Tree, template: str, fragment: str) -> None:  # noqa: F811
    before = tree.snapshot()
    outcome = tree.decide(_fill(template, tree))
    assert not outcome.accepted, f"accepted: {outcome!r}"
    assert outcome.reason is not None
    assert fragment in outcome.reason
    assert "\n" not in outcome.reason and outcome.reason.isprintable()
    assert tree.snapshot() == before


MARKER_CORPUS = [
    ("rhl-clear {data}/proj/plain", "required marker file (seamless.db, .HASHSERVER_PREFIX)"),
    ("rhl-clear {data}/proj/fake", "required marker file"),  # the marker is a symlink
    ("rhl-clear {outside}", "required marker file"),
    ("rhl-clear {data}/proj/escape", "required marker file"),
    ("rhl-clear {data}/proj/.hidden", "dot-prefixed segments"),
    ("rhl-clear /tmp", "$HOME or an ancestor"),
]


@pytest.mark.parametrize(("template", "fragment"), MARKER_CORPUS)
def test_hostile_paths_under_seamless_policy(tree: Tree, template: str, fragment: str) -> None:  # noqa: F811
    outcome = tree.decide(_fill(template, tree), policy="seamless")
    assert outcome.reason is not None and fragment in outcome.reason


@pytest.mark.parametrize(
    "command",
    [
        "rhl-clear {data}/proj/STAGE-a",
        "rhl-ps-persistent {data}",
        "rhl-launch-service --key k --workdir {work} -- x",
    ],
)
def test_path_helpers_refused_without_a_policy(tree: Tree, command: str) -> None:  # noqa: F811
    outcome = tree.decide(_fill(command, tree), policy=None)
    assert outcome.reason is not None and outcome.reason.startswith(
        "configure rhl-guard with one path-policy flag"
    )


def test_very_long_commands(tree: Tree) -> None:  # noqa: F811
    too_long = "rhl-ps --status " + "x" * MAX_COMMAND
    outcome = tree.decide(too_long)
    assert outcome.reason is not None and outcome.reason.startswith("command too long")
    # Long but within the limit: parsed like any other (and refused for what it is).
    long_key = tree.decide("rhl-inspect " + "k" * 30000)
    assert long_key.reason is not None and "arguments not accepted" in long_key.reason
    many_words = tree.decide("rhl-stop " + " ".join(f"k{i}" for i in range(5000)))
    assert many_words.accepted and len(many_words.values["keys"]) == 5000  # type: ignore[index]


# Through the installed guard: exit code, one line, audit record, nothing run or touched.
SUBPROCESS_SAMPLE = [
    "rhl-launch-service --workd {outside} --key k -- hashserver",
    "rhl-ps --json --json",
    "rhl-ps; touch {home}/owned",
    "rhl-ps $(touch {home}/owned)",
    "rhl-ps `touch {home}/owned`",
    "rhl-ps > {home}/owned",
    "touch {home}/owned",
    "rhl-clear {data}/proj/escape",
    "rhl-clear {data}/proj/../../outside",
    "rhl-guard --permissive-paths",
    "rhl-stop -k",
    "rhl-verify-port 192.0.2.77 22",
    # (Longer than the guard's limit, if the system can still pass it in the environment.)
    *(["rhl-ps " + "x" * (MAX_COMMAND + 10)] if MAX_COMMAND + 40 < 131072 else []),
    "rhl-launch-service --key k --workdir {work}/w -- hashserver --status-file {home}/k.json {outside}",
    "rhl-launch-service --key k --workdir {work}/w -- hashserver --status-fil {home}/v.json {work}/w",
    "rhl-launch-service --key k --workdir {work}/w -- seamless-database --writable {outside}/seamless.db",
]


@pytest.mark.parametrize("template", SUBPROCESS_SAMPLE, ids=[t[:40] for t in SUBPROCESS_SAMPLE])
def test_installed_guard_refuses(tree: Tree, template: str) -> None:  # noqa: F811
    command = _fill(template, tree)
    before = tree.snapshot()
    result = run_guard(tree, command, "--data-roots", str(tree.roots_file), "--label", "test-key")
    assert result.returncode == EXIT_REJECTED, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rhl-guard: rejected: "), result.stderr
    assert len(result.audit) == 1
    record = result.audit[0]
    assert record["event"] == "rejected"
    assert record["command"] == command[:4096]
    assert record["command_length"] == len(command)
    assert record["key_label"] == "test-key"
    assert record["reason"] in lines[0]
    after = tree.snapshot()
    audit_dir = str(tree.home / ".remote-http-launcher")
    assert {k: v for k, v in after.items() if not k.startswith(audit_dir)} == before
    assert not pathlib.Path(tree.home, "owned").exists()
