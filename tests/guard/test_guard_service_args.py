"""Issue 13, points 1-3: the service's own arguments are under the path policy, no
abbreviation reaches another key's file, and a misconfigured guard fails closed.

Through the installed rhl-guard (exit code, one line on stderr, an audit record, nothing run
and nothing touched), with the hashserver command lines of the issue pointing into the test's
own tree, and in-process for the exact reasons and for the command lines that
seamless-config-services really builds (which must still be accepted).
"""

from __future__ import annotations

import json
import pathlib
import shlex
from typing import Any

import pytest
from guardkit import EXIT_CONFIG, EXIT_REJECTED, Tree, run_guard, tree  # noqa: F401 - fixture

from remote_http_launcher.guard._decide import decide
from remote_http_launcher.policy.names import build
from remote_http_launcher.policy.service_args import SERVICES


def _sd(world: Tree) -> pathlib.Path:
    return world.home / ".remote-http-launcher" / "server"


def _important(world: Tree) -> pathlib.Path:
    important = world.home / "important"
    important.mkdir(exist_ok=True)
    (important / "thesis.tex").write_text("years of work\n")
    return important


def _hashserver_attack(world: Tree, target: pathlib.Path, status: str | None = None) -> str:
    """The issue's command, with $HOME expanded (the guard refuses a literal $HOME anyway)."""
    status = status or f"--status-file {_sd(world)}/hsy.json"
    return (
        f"rhl-launch-service --key hsy --workdir {world.home}/data/w2 -- hashserver --port 5912 "
        f"{status} --host 127.0.0.1 {target} --writable"
    )


def _assert_refused(world: Tree, result: Any, command: str, fragment: str) -> None:
    assert result.returncode == EXIT_REJECTED, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rhl-guard: rejected: rhl-launch-service: "), result.stderr
    assert fragment in lines[0], lines[0]
    assert len(result.audit) == 1
    assert result.audit[0]["command"] == command and result.audit[0]["reason"] in lines[0]
    assert not (world.home / "data" / "w2").exists()  # nothing was launched
    assert not (_sd(world) / "hsy.json").exists()


# ---------------------------------------------------------------------------------- point 1


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "real"])
def test_issue_attack_outside_the_policy_is_refused_seamless(tree: Tree, dry_run: bool) -> None:  # noqa: F811
    important = _important(tree)
    before = sorted(p.name for p in important.iterdir())
    command = _hashserver_attack(tree, important)
    result = run_guard(tree, command, "--clear-policy", "seamless", *(["--dry-run"] if dry_run else []))
    _assert_refused(
        tree,
        result,
        command,
        f"hashserver argument '{important}' (data directory): a service would write into a directory "
        f"that holds files but no marker file (seamless.db, .HASHSERVER_PREFIX): {important}",
    )
    assert sorted(p.name for p in important.iterdir()) == before  # no .HASHSERVER_PREFIX written
    # ...so rhl-clear still refuses the user's directory.
    cleared = run_guard(tree, f"rhl-clear {important}", "--clear-policy", "seamless")
    assert cleared.returncode == EXIT_REJECTED and "required marker file" in cleared.stderr
    assert (important / "thesis.tex").read_text() == "years of work\n"


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "real"])
def test_issue_attack_outside_the_roots_is_refused_data_roots(tree: Tree, dry_run: bool) -> None:  # noqa: F811
    command = (
        f"rhl-launch-service --key hsy --workdir {tree.work}/w2 -- hashserver --port 5912 "
        f"--status-file {_sd(tree)}/hsy.json --host 127.0.0.1 {tree.outside} --writable"
    )
    options = ["--data-roots", str(tree.roots_file), *(["--dry-run"] if dry_run else [])]
    result = run_guard(tree, command, *options)
    assert result.returncode == EXIT_REJECTED, result.stderr
    assert result.stderr == (
        f"rhl-guard: rejected: rhl-launch-service: hashserver argument '{tree.outside}' (data directory): "
        f"path is outside configured --data-roots (write): {tree.outside}\n"
    )
    assert len(result.audit) == 1
    assert not (tree.work / "w2").exists()
    assert sorted(p.name for p in tree.outside.iterdir()) == ["precious"]


@pytest.mark.parametrize(
    ("service_args", "fragment"),
    [
        # hashserver: a data directory anywhere in the command line, in any form
        ("hashserver --status-file {sd}/k.json {outside}", "(data directory): path is outside"),
        ("hashserver {outside} --status-file {sd}/k.json", "(data directory): path is outside"),
        ("hashserver --writable -- {outside}", "(data directory): path is outside"),
        ("hashserver ../../outside", "dot-prefixed segments"),
        ("hashserver .", "dot-prefixed segments"),
        ("hashserver ~/important", "(data directory): path is outside"),
        ("hashserver {data}/proj/escape", "(data directory): path is outside"),
        ("hashserver {work}/w {outside}", "unexpected argument"),
        ("hashserver --extra-dirs {outside} {work}/w", "(read-only directories): path is outside"),
        ("hashserver '--extra-dirs={data}/x;{outside}' {work}/w", "(read-only directories): path is outside"),
        ("hashserver --host /etc/passwd {work}/w", "(not a path): this argument takes no path"),
        ("hashserver --layout=~/x {work}/w", "(not a path): this argument takes no path"),
        ("hashserver {sd}", "dot-prefixed segments"),
        ("hashserver {home}", "$HOME or an ancestor"),
        ("hashserver /mnt", "write into a shared directory"),
        # seamless-database: the file's directory is written into, through symlinks too
        ("seamless-database --writable {outside}/seamless.db", "(data file): path is outside"),
        ("seamless-database --writable {data}/proj/escape/seamless.db", "(data file): path is outside"),
        ("seamless-database {data}/proj/.seamless.db", "not a plain file name"),
        # the jobserver and the Dask wrapper take no path at all
        ("seamless-jobserver --workers 2 {outside}", "unexpected argument"),
        ("seamless-jobserver --workers /x", "takes no path"),
        ("seamless-dask-wrapper {outside}/mod::Cluster --port-range 1 2", "not a Dask cluster class"),
        # undeclared services: every path-like word, also inside --opt=value and lists
        ("rhl-example-service {outside}", "(undeclared): path is outside"),
        ("rhl-example-service --out={outside}/x", "(undeclared): path is outside"),
        ("rhl-example-service --dirs={work}/a:{outside}", "(undeclared): path is outside"),
        ("rhl-example-service -o{outside}", "cannot tell where a path starts"),
        ("rhl-example-service ~/important", "(undeclared): path is outside"),
        ("rhl-example-service sub/../../../outside", "dot-prefixed"),
    ],
)
def test_service_paths_in_every_position(tree: Tree, service_args: str, fragment: str) -> None:  # noqa: F811
    (tree.home / "important").mkdir(exist_ok=True)
    args = service_args.format(
        outside=tree.outside, data=tree.data, work=tree.work, home=tree.home, sd=_sd(tree)
    )
    outcome = tree.decide(f"rhl-launch-service --key k --workdir {tree.work}/w -- {args}")
    assert outcome.reason is not None, outcome
    assert outcome.reason.startswith("rhl-launch-service: ") and fragment in outcome.reason, outcome.reason


@pytest.mark.parametrize(
    "service_args",
    [
        "hashserver --status-file {sd}/k.json --host 127.0.0.1 --timeout 600 {data}/proj/new --writable",
        "hashserver --port-range 1 2 --status-file={sd}/k.json {data}/proj/STAGE-a",
        "hashserver --status-file ~/.remote-http-launcher/server/k.json buffers",  # relative: in the workdir
        "hashserver --extra-dirs '{shared}/x;{data}/proj' {work}/w",
        "seamless-database --status-file {sd}/k.json --writable {data}/proj/STAGE-b/seamless.db",
        "seamless-database --status-file {sd}/k.json {data}/proj/new/seamless.db",
        "seamless-jobserver --workers 3 --port 1 --status-file {sd}/k.json --host 0.0.0.0 --timeout 6",
        "seamless-dask-wrapper dask_jobqueue::SLURMCluster --port-range 1 2 --status-file {sd}/k.json",
        "rhl-example-service --status-file {sd}/k.json --ready-delay 0.5 --children 2",
    ],
)
def test_legitimate_service_arguments_pass(tree: Tree, service_args: str) -> None:  # noqa: F811
    args = service_args.format(data=tree.data, work=tree.work, shared=tree.shared, sd=_sd(tree))
    for policy in ("data-roots", "seamless", "permissive"):
        outcome = tree.decide(f"rhl-launch-service --key k --workdir {tree.work}/w -- {args}", policy)
        assert outcome.accepted, (policy, outcome.reason)


def test_seamless_policy_allows_new_empty_and_marked_data_directories(tree: Tree) -> None:  # noqa: F811
    empty = tree.outside / "empty"
    empty.mkdir()
    for target, accepted in [
        (tree.outside / "new", True),
        (empty, True),
        (tree.outside_marked, True),
        (tree.outside, False),  # holds 'precious' and no marker
        (tree.outside / "precious", False),  # not a directory
    ]:
        outcome = tree.decide(
            f"rhl-launch-service --key k --workdir {tree.work}/w -- hashserver {target}", "seamless"
        )
        assert outcome.accepted is accepted, (target, outcome.reason)


def test_workdir_inside_the_state_directory_is_refused(tree: Tree) -> None:  # noqa: F811
    state = tree.tmp / "rhlstate"
    (state / "server").mkdir(parents=True)
    built = build("permissive")
    outcome = decide(
        f"rhl-launch-service --key k --workdir {state}/server -- rhl-example-service --status-fil v.json",
        lambda: built,
        str(state),
    )
    assert outcome.reason is not None and "inside the launcher's state directory" in outcome.reason
    outcome = decide(
        f"rhl-launch-service --key k --workdir {tree.work}/w -- rhl-example-service --x {state}/server/v",
        lambda: built,
        str(state),
    )
    assert outcome.reason is not None and "inside the launcher's state directory" in outcome.reason


# ---------------------------------------------------------------------------------- point 2


@pytest.mark.parametrize(
    "status",
    [
        "--status-fil {sd}/victimkey.json",
        "--status-f {sd}/victimkey.json",
        "--status {sd}/victimkey.json",
        "--status-fil={sd}/victimkey.json",
        "--status-file={sd}/victimkey.json",
        "--status-file {sd}/victimkey.json",
        "--status-file {sd}/hsy.json --status-file {sd}/victimkey.json",
        "--status-file {sd}/../server/victimkey.json",
        "--status-file victimkey.json",
    ],
)
def test_no_abbreviation_reaches_another_keys_state_file(tree: Tree, status: str) -> None:  # noqa: F811
    """The real hashserver argv of the issue: hashserver's argparse would expand every prefix
    of --status-file; the guard refuses them (and every spelling naming another file)."""
    sd = _sd(tree)
    sd.mkdir(parents=True)
    victim = sd / "victimkey.json"
    victim.write_text(json.dumps({"status": "running", "pid": 1, "port": 4242}))
    (tree.home / "data").mkdir(exist_ok=True)
    command = _hashserver_attack(tree, tree.home / "data" / "w2", status.format(sd=sd))
    result = run_guard(tree, command, "--clear-policy", "seamless")
    assert result.returncode == EXIT_REJECTED, result.stderr
    assert result.stderr.startswith("rhl-guard: rejected: rhl-launch-service: hashserver ")
    assert len(result.stderr.splitlines()) == 1 and len(result.audit) == 1
    assert json.loads(victim.read_text()) == {"status": "running", "pid": 1, "port": 4242}
    assert not (sd / "hsy.json").exists()


def test_prefixes_through_an_undeclared_service(tree: Tree) -> None:  # noqa: F811
    """A --tools-yaml service the guard knows nothing about: prefixes of --status-file fall
    under the generic rule, which never lets a path into the state directory."""
    tools = tree.tmp / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    sd = _sd(tree)
    for status in (f"--status-fil {sd}/victimkey.json", f"--status-fil={sd}/victimkey.json"):
        command = f"rhl-launch-service --key ex --workdir {tree.work}/ex -- rhl-example-service {status}"
        result = run_guard(
            tree,
            command,
            "--permissive-paths",
            "--tools-yaml",
            str(tools),
            "--state-dir",
            str(tree.tmp / "st"),
        )
        assert result.returncode == EXIT_REJECTED, result.stderr
        assert "(undeclared)" in result.stderr
        assert not (tree.work / "ex").exists()


def test_hashserver_options_in_the_table_are_the_installed_ones() -> None:
    """The table's hashserver and seamless-database entries are exactly what their own
    --help lists (apart from -h/--help, which the guard does not let through)."""
    import re
    import shutil
    import subprocess
    import sys

    checked = []
    for service, spec in SERVICES.items():
        binary = shutil.which(service, path=str(pathlib.Path(sys.executable).parent))
        if binary is None:  # seamless-jobserver and seamless-dask-wrapper are not installed here
            continue
        checked.append(service)
        text = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60).stdout
        usage = text.split("\n\n", 1)[0]
        listed = set(re.findall(r"--[a-z][a-z-]*", usage))
        assert listed == set(spec.options), (service, listed ^ set(spec.options))
    assert {"hashserver", "seamless-database"} <= set(checked)


# ---------------------------------------------------------------------------------- point 3


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--data-roots", "/no/such/file"], "could not read --data-roots file '/no/such/file'"),
        (["--data-roots", "{tmp}"], "could not read --data-roots file"),
        (["--data-roots", "{empty}"], "does not contain any usable roots"),
        (["--policy", "nosuch"], "unknown path policy 'nosuch'"),
        (["--policy", "seamless:x"], "the seamless policy takes no argument"),
        (["--policy", "marker:a/b"], "requires a simple marker filename"),
        (["--clear-policy", "marker:.."], "requires a simple marker filename"),
        (["--clear-policy", "seamless", "--permissive-paths"], "mutually exclusive"),
        (["--clear-policy", "bogus"], "--clear-policy must be"),
    ],
)
@pytest.mark.parametrize("command", ["rhl-ps --json", "rhl-pid-alive 1", None])
def test_misconfigured_guard_refuses_every_command(
    tree: Tree,  # noqa: F811
    options: list[str],
    fragment: str,
    command: str | None,
) -> None:
    empty = tree.tmp / "empty-roots"
    empty.write_text("# nothing\n")
    filled = [o.format(tmp=tree.tmp, empty=empty) for o in options]
    result = run_guard(tree, command, *filled)
    assert result.returncode == EXIT_CONFIG, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("rhl-guard: configuration error: ") and fragment in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert len(result.audit) == 1
    assert (
        result.audit[0]["reason"].startswith("configuration error: ")
        and fragment in result.audit[0]["reason"]
    )
    assert result.audit[0]["command"] == command


def test_unreadable_roots_file_refuses_every_command(tree: Tree, tmp_path: pathlib.Path) -> None:  # noqa: F811
    """Unreadable, not just missing: the tests run as root, whom permissions do not stop, so a
    directory in place of the file stands in for a file that cannot be read."""
    roots = tmp_path / "roots-dir"
    roots.mkdir()
    result = run_guard(tree, "rhl-ps --json", "--data-roots", str(roots))
    assert result.returncode == EXIT_CONFIG
    assert "it is a directory" in result.stderr


# ------------------------------------------------------- what seamless-config-services sends


def _seamless_config_commands(world: Tree) -> list[str]:
    """The rhl-launch-service commands the launcher sends over SSH for every built-in
    service type, from seamless-config-services' own resolution."""
    from remote_http_launcher.launch.config import Configuration as LauncherConfig
    from remote_http_launcher.launch.sequence import await_arguments, launch_arguments
    from seamless_config_services.model import Cluster, ClusterSet, Configuration, Frontend, Queue, Selection
    from seamless_config_services.resolve import resolve

    sections = {
        "hashserver": {
            "bufferdir": "~/buffers",
            "network_interface": "127.0.0.1",
            "port_start": 1,
            "port_end": 2,
        },
        "database": {"database_dir": "~/db"},
        "jobserver": {"conda": "env", "network_interface": "0.0.0.0", "port_start": 3, "port_end": 4},
        "daskserver": {"network_interface": "0.0.0.0", "port_start": 5, "port_end": 6},
    }
    front = Frontend(hostname="frontend.example", ssh_hostname=None, sections=sections)
    queue = Queue(name="q", fields={"walltime": "01:00:00", "memory": "1GB", "conda": "dask", "cores": 2})

    class SshLike:
        def status_file(self, key: str) -> str:
            return f"~/.remote-http-launcher/server/{key}.json"

    commands = []
    for cluster_type in ("slurm", "local"):
        cluster = Cluster(
            name="c", frontends=(front,), queues={"q": queue}, type=cluster_type, workers=3, default_queue="q"
        )
        for service, selection in [
            ("hashserver", {"project": "p", "stage": "s", "mode": "rw"}),
            ("hashserver", {"project": "p", "subproject": "a/b", "mode": "ro"}),
            ("database", {"project": "p", "stage": "s", "mode": "rw"}),
            ("database", {"project": "p", "mode": "ro"}),
            ("jobserver", {"project": "p", "stage": "s", "substage": "g"}),
            ("daskserver", {"project": "p", "queue": "q"}),
            ("pure-daskserver", {"queue": "q"}),
        ]:
            chosen = Selection(cluster="c", **selection)
            mapping = resolve(
                Configuration(ClusterSet({"c": cluster}, local_cluster=None), chosen), service
            ).launcher_config
            config = LauncherConfig.from_mapping(mapping)
            for args in (
                await_arguments(config, SshLike()),
                [*launch_arguments(config), "--", *config.command_argv(SshLike().status_file(config.key))],
            ):  # type: ignore[arg-type]
                commands.append(shlex.join(["rhl-launch-service", *args]))
    return commands


def test_seamless_config_services_command_lines_are_accepted(
    tree: Tree,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The jobserver and the Dask services run in /tmp, which the always-on rules refuse when
    # it is an ancestor of $HOME (as the test tree's is): a $HOME elsewhere, as on a frontend.
    import shutil
    import tempfile

    home = pathlib.Path(tempfile.mkdtemp(prefix="rhl-guard-home-", dir="/var/tmp"))
    monkeypatch.setenv("HOME", str(home))
    tree.home = home
    try:
        _check_seamless_config_commands(tree)
    finally:
        shutil.rmtree(home)


def _check_seamless_config_commands(tree: Tree) -> None:  # noqa: F811
    commands = _seamless_config_commands(tree)
    assert len(commands) == 28
    roots = tree.tmp / "seamless-roots"
    roots.write_text(f"clear, workdir: {tree.home}/buffers\nclear, workdir: {tree.home}/db\nworkdir: /tmp\n")
    policies = {"seamless": build("seamless"), "data-roots": build(f"data-roots:{roots}")}
    services = set()
    for command in commands:
        for name, policy in policies.items():
            outcome = decide(command, lambda p=policy: p)  # type: ignore[misc]
            assert outcome.accepted, (name, command, outcome.reason)
            services.add(outcome.values["service_argv"][0])  # type: ignore[index]
            assert any(kind == "state" for _raw, kind, _resolved in outcome.paths)
    assert services == set(SERVICES)
