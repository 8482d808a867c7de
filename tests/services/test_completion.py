"""Shell completion of the seamless-service-* selection flags, through the installed commands.

Each test sets click's completion variables (``_SEAMLESS_SERVICE_PS_COMPLETE=bash_complete``,
``COMP_WORDS``, ``COMP_CWORD``) exactly as the sourced bash/zsh/fish scripts do, and asserts
the values offered, in order: service types (plugins included), clusters (cluster files and
the project's inline ``clusters``), projects/subprojects/stages/substages (the project's
command files, this machine's connection files and server state files, by ``meta`` or by key),
queues and frontends of the selected cluster. A broken configuration, a corrupt or hostile
state file or a broken plugin completes less, never prints anything on stderr, never fails;
nothing is written anywhere (docs/reference/shell-completion.md).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time

import pytest
from configworld import EXAMPLE_CLUSTERS, dedent

from conftest import ROOT, find_command

COMMANDS = [
    "seamless-service-ps",
    "seamless-service-stop",
    "seamless-service-rm",
    "seamless-service-logs",
    "seamless-service-inspect",
    "seamless-service-clear",
    "seamless-service-resolve",
    "seamless-service-start",
    "seamless-service-restart",
    "seamless-service-doctor",
]
BUILTIN_SERVICES = ["hashserver", "database", "jobserver", "daskserver", "pure-daskserver"]
PLUGIN_SOURCE = ROOT / "tests" / "plugins" / "seamless-example-service" / "src"

SEAMLESS_YAML = """
    - project: projx
    - subproject: subx
    - stage dev:
      - subproject: devsub
    - clusters:
        inline1:
          type: local
          frontends:
            - hashserver: {bufferdir: /tmp/inline1}
"""
PROFILE_YAML = """
    - cluster: hpc
    - stage prod:
      - queue: excl
"""
EXTRA_CLUSTERS = """
    beta-2:
      type: local
      frontends:
        - hashserver: {bufferdir: /tmp/beta}
"""


def _meta(service: str, cluster: str, **values: str) -> dict[str, str | None]:
    meta: dict[str, str | None] = dict.fromkeys(
        ("service", "cluster", "mode", "project", "subproject", "stage", "substage", "queue")
    )
    meta.update(service=service, cluster=cluster, mode="rw", **values)
    return meta


class World:
    """A HOME with cluster files, a project, a launcher directory with state, and an
    environment in which the installed commands see only these."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.home = root / "home"
        self.project = root / "project"
        self.elsewhere = root / "elsewhere"
        self.launcher = root / "rhl"
        self.cache = root / "xdg-cache"
        for directory in (self.home / ".seamless" / "clusters", self.project, self.elsewhere):
            directory.mkdir(parents=True)
        (self.home / ".seamless" / "clusters.yaml").write_text(dedent(EXAMPLE_CLUSTERS))
        (self.home / ".seamless" / "clusters" / "extra.yaml").write_text(dedent(EXTRA_CLUSTERS))
        (self.project / "seamless.yaml").write_text(dedent(SEAMLESS_YAML))
        (self.project / "seamless.profile.yaml").write_text(dedent(PROFILE_YAML))
        client, server = self.launcher / "client", self.launcher / "server"
        client.mkdir(parents=True)
        server.mkdir(parents=True)
        meta = _meta("hashserver", "hpc", project="projy", stage="test")
        (client / "hashserver-hpc-rw-projy--STAGE-test.json").write_text(
            json.dumps({"status": "running", "meta": meta})
        )
        # No meta (written by seamless-config 0.3.2): the key tells, cluster name with a '-'.
        (client / "database-beta-2-ro-projz--subq--STAGE-s2.json").write_text('{"status": "stale"}')
        (client / "garbage.json").write_text("not json {")
        os.mkfifo(client / "fifo.json")  # must not make completion wait for a writer
        meta = _meta("daskserver", "mylocal", project="projs", stage="stg", substage="ss")
        (server / "daskserver-mylocal-rw-projs--STAGE-stg--SUBSTAGE-ss.json").write_text(
            json.dumps({"status": "stale", "meta": meta})
        )
        (server / "unknown-thing.json").write_text("{}")
        base = {k: v for k, v in os.environ.items() if not k.endswith("_COMPLETE")}
        for name in ("SEAMLESS_CACHE", "SEAMLESS_CONFIG_SERVICES_PLUGINS", "PYTHONPATH"):
            base.pop(name, None)
        self.env = {
            **base,
            "HOME": str(self.home),
            "REMOTE_HTTP_LAUNCHER_DIR": str(self.launcher),
            "XDG_CACHE_HOME": str(self.cache),
            "SEAMLESS_CONFIG_SERVICES_PLUGINS": "",
        }

    def raw(
        self,
        words: list[str],
        *,
        shell: str = "bash",
        cwd: pathlib.Path | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """click's answer for the command line ``words`` (the last word is being completed)."""
        command = words[0]
        var = "_" + command.upper().replace("-", "_") + "_COMPLETE"
        full = {**self.env, **(env or {}), var: f"{shell}_complete", "COMP_WORDS": " ".join(words)}
        # bash and zsh pass the index of the word being completed; fish passes the word.
        full["COMP_CWORD"] = words[-1] if shell == "fish" else str(len(words) - 1)
        return subprocess.run(
            [find_command(command)],
            capture_output=True,
            text=True,
            timeout=60,
            env=full,
            cwd=cwd or self.project,
            stdin=subprocess.DEVNULL,
        )

    def offered(
        self, *words: str, cwd: pathlib.Path | None = None, env: dict[str, str] | None = None
    ) -> list[str]:
        """The values offered (bash form); exit 0 and nothing on stderr, always."""
        proc = self.raw(list(words), cwd=cwd, env=env)
        assert (proc.returncode, proc.stderr) == (0, ""), proc
        lines = [line for line in proc.stdout.splitlines() if line]  # none: one empty line
        assert all(line.startswith("plain,") for line in lines), lines
        return [line.split(",", 1)[1] for line in lines]

    def tree(self) -> dict[str, int]:
        """Every path under the world with its mtime (what 'nothing was written' compares)."""
        found = {}
        for path in sorted(self.root.rglob("*")):
            found[str(path)] = path.lstat().st_mtime_ns
        return found


@pytest.fixture
def world(tmp_path: pathlib.Path) -> World:
    for ancestor in tmp_path.parents:
        if (ancestor / "seamless.yaml").exists() or (ancestor / "seamless.profile.yaml").exists():
            pytest.skip(f"{ancestor} holds a command file: the upward search would find it")
    return World(tmp_path)


PS = "seamless-service-ps"


def test_service_types(world: World) -> None:
    assert world.offered(PS, "--service", "") == BUILTIN_SERVICES
    assert world.offered(PS, "--service", "da") == ["database", "daskserver"]
    assert world.offered(PS, "--service", "pure") == ["pure-daskserver"]
    assert world.offered(PS, "--service", "x") == []


def _plugin_site(root: pathlib.Path, module: str) -> pathlib.Path:
    """A site directory declaring the entry point ``example = <module>`` as an installed
    distribution would (its dist-info), without building anything."""
    site = root / f"site-{module.replace('.', '-')}"
    info = site / "completion_probe-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: completion-probe\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[seamless_config_services]\nexample = {module}\n")
    return site


def test_service_types_include_plugins(world: World) -> None:
    site = _plugin_site(world.root, "seamless_example_service")
    env = {"PYTHONPATH": f"{site}{os.pathsep}{PLUGIN_SOURCE}"}
    world.env.pop("SEAMLESS_CONFIG_SERVICES_PLUGINS")
    assert world.offered(PS, "--service", "", env=env) == [*BUILTIN_SERVICES, "example-service"]
    assert world.offered(PS, "--service", "ex", env=env) == ["example-service"]
    # The variable that selects plugins selects what completes, as it selects what runs.
    hidden = {**env, "SEAMLESS_CONFIG_SERVICES_PLUGINS": "other"}
    assert world.offered(PS, "--service", "", env=hidden) == BUILTIN_SERVICES


def test_a_broken_plugin_completes_the_others_silently(world: World) -> None:
    """Running, the command warns about the plugin; completing, nothing reaches the prompt."""
    site = _plugin_site(world.root, "no_such_module_for_completion")
    world.env.pop("SEAMLESS_CONFIG_SERVICES_PLUGINS")
    assert world.offered(PS, "--service", "", env={"PYTHONPATH": str(site)}) == BUILTIN_SERVICES


def test_clusters(world: World) -> None:
    # clusters.yaml, clusters/*.yaml, then the project's inline 'clusters' command; sorted.
    assert world.offered(PS, "--cluster", "") == ["beta-2", "hpc", "inline1", "mylocal"]
    assert world.offered(PS, "--cluster", "h") == ["hpc"]
    assert world.offered(PS, "--cluster", "", cwd=world.elsewhere) == ["beta-2", "hpc", "mylocal"]
    workdir = ["--workdir", str(world.project)]
    assert world.offered(PS, *workdir, "--cluster", "", cwd=world.elsewhere) == [
        "beta-2",
        "hpc",
        "inline1",
        "mylocal",
    ]


def test_seamless_cache_mode(world: World) -> None:
    """SEAMLESS_CACHE set: one cluster, and the project is the alias (no command file is read)."""
    env = {"SEAMLESS_CACHE": str(world.root / "cache-dir")}
    assert world.offered(PS, "--cluster", "", env=env) == ["__SEAMLESS_CACHE__"]
    assert world.offered(PS, "--project", "", env=env) == ["SEAMLESS_CACHE"]
    assert world.offered(PS, "--stage", "", env=env) == []


def test_a_seamless_cache_service_offers_the_alias(world: World) -> None:
    meta = _meta("hashserver", "__SEAMLESS_CACHE__", project="__TOPLEVEL__", stage="cs")
    key = "hashserver-__SEAMLESS_CACHE__-rw-__TOPLEVEL__--STAGE-cs"
    (world.launcher / "server" / f"{key}.json").write_text(json.dumps({"status": "stale", "meta": meta}))
    assert world.offered(PS, "--project", "") == ["SEAMLESS_CACHE", "projs", "projx", "projy", "projz"]
    assert world.offered(PS, "--project", "SEAMLESS_CACHE", "--stage", "") == ["cs"]


def test_a_broken_cluster_file_contributes_nothing(world: World) -> None:
    (world.home / ".seamless" / "clusters.yaml").write_text("hpc:\n  frontends: [\n")
    assert world.offered(PS, "--cluster", "") == ["beta-2", "inline1"]
    # Running the command says what is wrong (one line, exit code of a config error).
    run = subprocess.run(
        [find_command(PS), "--cluster", "hpc"],
        capture_output=True,
        text=True,
        timeout=60,
        env=world.env,
        cwd=world.project,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode != 0 and "clusters.yaml" in run.stderr and "Traceback" not in run.stderr


def test_a_broken_configuration_completes_nothing(world: World) -> None:
    (world.home / ".seamless" / "clusters.yaml").write_text("- not\n- a mapping\n")
    (world.home / ".seamless" / "clusters" / "extra.yaml").write_text("a: [\n")
    os.mkfifo(world.home / ".seamless" / "clusters" / "fifo.yaml")  # never waited on
    (world.project / "seamless.yaml").write_text("- project: [\n")
    for flag in ("--cluster", "--queue", "--frontend-name"):
        assert world.offered(PS, flag, "") == []
    # The state files still name their projects; the broken project file names none.
    assert world.offered(PS, "--project", "") == ["projs", "projy", "projz"]


def test_projects(world: World) -> None:
    # seamless.yaml (projx), a connection file's meta (projy), a connection file's key (projz),
    # a server state file of this machine (projs).
    assert world.offered(PS, "--project", "") == ["projs", "projx", "projy", "projz"]
    assert world.offered(PS, "--project", "projx") == ["projx"]
    assert world.offered(PS, "--project", "", cwd=world.elsewhere) == ["projs", "projy", "projz"]
    # A given --cluster narrows the state files' values (the project's files apply to any).
    assert world.offered(PS, "--cluster", "hpc", "--project", "") == ["projx", "projy"]
    assert world.offered(PS, "--cluster", "beta-2", "--project", "") == ["projx", "projz"]
    assert world.offered(PS, "--service", "daskserver", "--project", "", cwd=world.elsewhere) == ["projs"]


def test_subprojects_stages_substages(world: World) -> None:
    assert world.offered(PS, "--subproject", "") == ["devsub", "subq", "subx"]
    assert world.offered(PS, "--stage", "") == ["dev", "prod", "s2", "stg", "test"]
    assert world.offered(PS, "--project", "projy", "--stage", "") == ["test"]
    assert world.offered(PS, "--project", "projx", "--stage", "") == ["dev", "prod"]
    assert world.offered(PS, "--project", "projz", "--subproject", "") == ["subq"]
    assert world.offered(PS, "--substage", "") == ["ss"]


def test_queues_and_frontends_of_the_selected_cluster(world: World) -> None:
    # The profile selects hpc; --cluster selects another one.
    assert world.offered(PS, "--queue", "") == ["default", "excl"]
    assert world.offered(PS, "--cluster", "mylocal", "--queue", "") == []
    assert world.offered(PS, "--frontend-name", "") == ["login.hpc.example"]
    assert world.offered(PS, "--cluster", "mylocal", "--frontend-name", "") == ["localhost"]
    assert world.offered(PS, "--cluster", "nope", "--queue", "") == []


def test_choices_and_directories(world: World) -> None:
    assert world.offered(PS, "--mode", "") == ["ro", "rw"]
    proc = world.raw([PS, "--workdir", ""])
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "dir,\n", "")  # the shell lists dirs


def test_an_invalid_value_before_does_not_stop_completion(world: World) -> None:
    assert world.offered(PS, "--service", "nope", "--mode", "xx", "--cluster", "b") == ["beta-2"]
    assert world.offered(PS, "--stage", "''", "--cluster", "b") == ["beta-2"]  # --stage ''


def test_completion_writes_nothing(world: World) -> None:
    before = world.tree()
    for flag in ("--service", "--cluster", "--project", "--subproject", "--stage", "--substage", "--queue"):
        world.offered(PS, flag, "")
    assert world.tree() == before
    assert not world.cache.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_completes_the_selection_flags(world: World, command: str) -> None:
    assert world.offered(command, "--cluster", "") == ["beta-2", "hpc", "inline1", "mylocal"]
    assert world.offered(command, "--stage", "p") == ["prod"]


def test_zsh_and_fish_forms(world: World) -> None:
    zsh = world.raw([PS, "--service", "da"], shell="zsh")
    assert (zsh.returncode, zsh.stderr) == (0, "")
    assert zsh.stdout.splitlines() == [
        "plain",
        "database",
        "transformation-result database (persistent: database_dir/<project>/<stage>/seamless.db)",
        "plain",
        "daskserver",
        "Seamless tasks on Dask workers of a queue (LocalCluster, SLURM or OAR)",
    ]
    zsh = world.raw([PS, "--cluster", "b"], shell="zsh")
    assert zsh.stdout.splitlines() == ["plain", "beta-2", "_"]
    fish = world.raw([PS, "--project", "proj"], shell="fish")
    assert (fish.returncode, fish.stderr) == (0, "")
    assert fish.stdout.splitlines() == ["plain,projs", "plain,projx", "plain,projy", "plain,projz"]
    fish = world.raw([PS, "--stage", ""], shell="fish")
    assert fish.stdout.splitlines() == ["plain,dev", "plain,prod", "plain,s2", "plain,stg", "plain,test"]


def test_the_sourced_bash_script(world: World) -> None:
    """What a user's shell does after 'eval "$(_SEAMLESS_SERVICE_PS_COMPLETE=bash_source ...)"'."""
    script = (
        'eval "$(_SEAMLESS_SERVICE_PS_COMPLETE=bash_source seamless-service-ps)"\n'
        "COMP_WORDS=(seamless-service-ps --cluster be); COMP_CWORD=2\n"
        "_seamless_service_ps_completion seamless-service-ps\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**world.env, "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{world.env['PATH']}"}
    proc = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, env=env, cwd=world.project
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "beta-2\n", "")


def test_completion_is_fast(world: World) -> None:
    """Measured, not raced: the slowest completer (every source read) stays interactive."""
    started = time.perf_counter()
    assert world.offered(PS, "--project", "")
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"--project completion took {elapsed:.2f}s"


def test_documented_for_every_command() -> None:
    page = (ROOT / "docs" / "reference" / "shell-completion.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        var = "_" + command.upper().replace("-", "_") + "_COMPLETE"
        assert f"[{command}]({command}.md) | `{var}`" in page, command
