"""What the real stack needs from a cluster file (docs/services/install.md, "What the real
Seamless stack needs from a cluster file"): each claim of that section, shown on the real stack.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from .stack_support import Stack

P = Stack.PROJECT
C = Stack.CLUSTER


def _listening(port: int) -> list[str]:
    """The IPv4 addresses listening on ``port`` (from /proc/net/tcp, state 0A = LISTEN)."""
    found = []
    for line in pathlib.Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, hex_port = fields[1].split(":")
        if int(hex_port, 16) == port and fields[3] == "0A":
            octets = [str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)]
            found.append(".".join(octets))
    return found


def test_database_listens_on_all_interfaces_without_network_interface(stack: Stack) -> None:
    del stack.frontend["database"]["network_interface"]
    stack.write_clusters()
    stack.job()
    database = stack.server_state("database")
    assert "--host" not in database["command"], database["command"]
    assert _listening(int(database["port"])) == ["0.0.0.0"]
    hashserver = stack.server_state("hashserver")  # still has network_interface: 127.0.0.1
    assert _listening(int(hashserver["port"])) == ["127.0.0.1"]


def test_without_local_cluster_the_launch_goes_over_ssh_to_localhost(stack: Stack) -> None:
    del stack.clusters["local_cluster"]
    stack.write_clusters()
    proc = stack.python(str(stack.dir / "job.py"), "40", str(stack.side), timeout=120)
    assert proc.returncode != 0
    assert "cannot reach localhost over SSH" in proc.stderr, proc.stderr[-2000:]
    assert stack.executions() == []
    assert not list((stack.state / "server").glob("*.json")), "nothing was started locally"


INIT_PROBE = """
import sys, seamless_config
if sys.argv[1] == "set_workdir":
    seamless_config.set_workdir(sys.argv[2])
seamless_config.init(workdir=sys.argv[2])
print(seamless_config.get_workdir())
"""


def test_init_ignores_its_workdir_argument(stack: Stack, tmp_path: pathlib.Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ignored = stack.python("-c", INIT_PROBE, "init", str(elsewhere), timeout=60)
    assert ignored.returncode == 0, ignored.stderr
    assert ignored.stdout.splitlines()[-1] == str(stack.dir), "0.3.2: the argument is ignored"
    honoured = stack.python("-c", INIT_PROBE, "set_workdir", str(elsewhere), timeout=60)
    assert honoured.returncode == 0, honoured.stderr
    assert honoured.stdout.splitlines()[-1] == str(elsewhere)


DASK_PROBE = """
import glob, json, os, seamless_config
seamless_config.set_workdir(os.getcwd())
seamless_config.init()  # pure Dask mode: launches the local daskserver (LocalCluster)
[path] = glob.glob(os.path.expanduser("~/.remote-http-launcher/server/pure-daskserver-*.json"))
state = json.load(open(path))
from distributed import Client
with Client(f"tcp://127.0.0.1:{state['port']}", timeout=30) as client:
    workers = client.scheduler_info()["workers"].values()
    print(json.dumps([worker["local_directory"] for worker in workers]))
"""


def _pure_dask(stack: Stack, tmpdir: pathlib.Path) -> None:
    js = stack.frontend.pop("jobserver")
    stack.frontend["daskserver"] = {k: js[k] for k in ("network_interface", "port_start", "port_end")}
    queue: dict[str, Any] = {
        "conda": None,
        "walltime": "00:10:00",
        "cores": 1,
        "memory": "1GB",
        "maximum_jobs": 1,
        "unknown_task_duration": "1m",
        "target_duration": "10s",
        "tmpdir": str(tmpdir),
    }
    stack.clusters[C].update(default_queue="q", queues={"q": queue})
    stack.write_clusters()
    stack.write_project(execution="remote", remote="daskserver")
    commands = (stack.dir / "seamless.yaml").read_text() + "- persistent: false\n"
    (stack.dir / "seamless.yaml").write_text(commands)


def test_local_daskserver_ignores_the_queue_tmpdir(stack: Stack, tmp_path: pathlib.Path) -> None:
    """seamless-dask 0.4 puts the queue's tmpdir in the dask-jobqueue configuration, which
    LocalCluster does not read: Dask's own default (/tmp/dask-scratch-space) is used unless
    DASK_TEMPORARY_DIRECTORY is set in the environment the daskserver is launched from."""
    tmpdir = tmp_path / "queue-tmpdir"
    tmpdir.mkdir()
    _pure_dask(stack, tmpdir)
    env = {k: v for k, v in stack.env.items() if k != "DASK_TEMPORARY_DIRECTORY"}
    plain = stack.python("-c", DASK_PROBE, env=env, timeout=180)
    assert plain.returncode == 0, plain.stderr[-3000:]
    [directory] = json.loads(plain.stdout.splitlines()[-1])
    assert directory.startswith("/tmp/dask-scratch-space/"), directory
    assert list(tmpdir.iterdir()) == [], "the queue's tmpdir is not used"
    stop = stack.ok("stop", "--service", "pure-daskserver", "--cluster", C)
    assert stop.stdout == f"pure-daskserver-{C}-q: stopped\n"
    stack.ok("rm", "--service", "pure-daskserver", "--cluster", C)

    chosen = tmp_path / "dask-temporary"
    set_env = {**env, "DASK_TEMPORARY_DIRECTORY": str(chosen)}
    honoured = stack.python("-c", DASK_PROBE, env=set_env, timeout=180)
    assert honoured.returncode == 0, honoured.stderr[-3000:]
    [directory] = json.loads(honoured.stdout.splitlines()[-1])
    assert directory.startswith(f"{chosen}/"), directory


def test_persistent_daskserver_needs_a_conda_environment(stack: Stack, tmp_path: pathlib.Path) -> None:
    """seamless-remote 0.4.0 (daskserver_remote.py) asserts that the queue's conda is set when
    the daskserver is used with persistence (the default); pure Dask mode does not."""
    _pure_dask(stack, tmp_path)
    stack.write_project(execution="remote", remote="daskserver")  # persistent (the default)
    proc = stack.python(str(stack.dir / "job.py"), "40", str(stack.side), timeout=120)
    assert proc.returncode != 0
    assert 'assert conf.get("conda") is not None' in proc.stderr, proc.stderr[-2000:]
    assert stack.executions() == []


def test_the_venv_bin_must_be_on_path(stack: Stack) -> None:
    """The launcher starts ``hashserver`` and ``seamless-database`` by their bare names: run the
    client from an activated venv (or with its bin on PATH)."""
    env = {**stack.env, "PATH": "/usr/local/bin:/usr/bin:/bin"}
    proc = stack.python(str(stack.dir / "job.py"), "40", str(stack.side), timeout=120, env=env)
    assert proc.returncode != 0
    assert "could not start 'hashserver': FileNotFoundError" in proc.stderr, proc.stderr[-2000:]
    assert stack.executions() == []


def test_a_queue_job_script_prologue_is_refused_by_seamless_config(
    stack: Stack, tmp_path: pathlib.Path
) -> None:
    """seamless-config 0.3.2 parses each queue through ``ClusterQueueWithTemplate``, which has
    no ``job_script_prologue`` field: a cluster file with one fails at ``init()``."""
    _pure_dask(stack, tmp_path)
    stack.clusters[C]["queues"]["q"]["job_script_prologue"] = ["export A=1"]
    stack.write_clusters()
    proc = stack.python("-c", "import seamless_config; seamless_config.init()", timeout=60)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (
        "TypeError: ClusterQueueWithTemplate.__init__() got an unexpected keyword argument "
        "'job_script_prologue'"
    ), proc.stderr[-2000:]
