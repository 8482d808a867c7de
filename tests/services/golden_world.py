"""The configuration world of the golden tests: cluster files, command files, state files.

One ``clusters.yaml`` covers every kind of cluster the reference distinguishes: the local
cluster (``mylocal``), a ``type: local`` cluster reached over SSH (``bare``: hostname
defaulted to ``localhost``, sections without ports, interface or conda), a remote OAR
cluster without ``ssh_hostname`` (``remote``), a SLURM cluster with two frontends, tunnel and
``ssh_hostname`` (``hpc``), and two clusters that can only fail (``noworkers``, ``typeless``).
Queues cover defaults, templates (with an explicit null), exclusive with and without
``cores``, dashes in names and every optional field. Everything here is valid for
seamless-config 0.3.2, which validates all clusters at every load.

A second HOME holds the scheduler matrix (:data:`MATRIX_CLUSTERS`): the same queue settings on
a SLURM cluster (``mslurm``) and an OAR cluster (``moar``), one queue per feature, plus a
cluster whose queue lacks ``memory`` (``mreq``: 0.3.2 accepts it, we refuse). Its queues use
``job_script_prologue``, which 0.3.2 rejects in YAML (weak point 8): the reference reads a copy
of the file without it (:func:`without_prologue`).
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import yaml

FULL_QUEUE: dict[str, Any] = {
    "conda": "seamless-dask",
    "walltime": "01:00:00",
    "cores": 16,
    "memory": "32000MB",
    "maximum_jobs": 20,
    "unknown-task-duration": "1m",
    "target_duration": "10m",
}

CLUSTERS: dict[str, Any] = {
    "local_cluster": "mylocal",
    "mylocal": {
        "type": "local",
        "workers": 2,
        "frontends": [
            {
                "hashserver": {
                    "bufferdir": "~/buffers",
                    "network_interface": "127.0.0.1",
                    "port_start": 56100,
                    "port_end": 56199,
                },
                "database": {
                    "database_dir": "~/dbdir",
                    "network_interface": "127.0.0.1",
                    "port_start": 56200,
                    "port_end": 56299,
                },
                "jobserver": {
                    "conda": "seamless1",
                    "network_interface": "127.0.0.1",
                    "port_start": 56300,
                    "port_end": 56399,
                },
                "daskserver": {"network_interface": "127.0.0.1", "port_start": 56400, "port_end": 56499},
            }
        ],
        "default_queue": "lq",
        "queues": {
            "lq": {
                "conda": "dask-local",
                "walltime": "00:30:00",
                "memory": "4GB",
                "cores": 4,
                "maximum_jobs": 3,
            },
            "lq_nocores": {"conda": "dask-local", "memory": "2GB", "lifetime": "20m", "worker_threads": 3},
            "lexcl": {"TEMPLATE": "lq", "exclusive": True, "cores": 2, "interactive": True},
        },
    },
    "bare": {
        "type": "local",
        "workers": 4,
        "frontends": [
            {
                "hashserver": {"bufferdir": "/data/buf"},
                "database": {"database_dir": "/data/db"},
                "jobserver": {
                    "conda": "jobs",
                    "network_interface": "0.0.0.0",
                    "port_start": 7000,
                    "port_end": 7100,
                },
                "daskserver": {"network_interface": "0.0.0.0", "port_start": 7200, "port_end": 7300},
            }
        ],
        "queues": {"q1": {"conda": "d1", "memory": "1GB", "walltime": "00:45:00", "tmpdir": "/scratch/tmp"}},
    },
    "remote": {
        "type": "oar",
        "workers": 8,
        "memory_per_core_property_name": "memcore",
        "frontends": [
            {
                "hostname": "remote.example.org",
                "hashserver": {"bufferdir": "~/b", "conda": "hs", "port_start": 9000, "port_end": 9010},
                "database": {"database_dir": "~/d", "network_interface": "0.0.0.0"},
                "jobserver": {
                    "conda": "js",
                    "network_interface": "0.0.0.0",
                    "port_start": 9100,
                    "port_end": 9110,
                },
                "daskserver": {"network_interface": "0.0.0.0", "port_start": 9200, "port_end": 9210},
            }
        ],
        "default_queue": "q",
        "queues": {
            "q": {
                **FULL_QUEUE,
                "cores": 4,
                "job-extra-directives": ["-t besteffort"],
                "project": "capsid",
                "partition": "grappe",
            },
            "wholenode": {"TEMPLATE": "q", "exclusive": True, "cores": None},
            "fixed": {"TEMPLATE": "q", "exclusive": True},
            "long-q": {"TEMPLATE": "q", "walltime": "48:00:00", "lifetime": "47h"},
        },
    },
    "hpc": {
        "type": "slurm",
        "tunnel": True,
        "workers": 16,
        "frontends": [
            {
                "hostname": "login1.hpc.example",
                "ssh_hostname": "hpc-login1",
                "hashserver": {"bufferdir": "/scratch/buf1"},
            },
            {
                "hostname": "login2.hpc.example",
                "ssh_hostname": "hpc-login2",
                "hashserver": {
                    "bufferdir": "/scratch/buf",
                    "conda": "hashserver",
                    "network_interface": "0.0.0.0",
                    "port_start": 60100,
                    "port_end": 60199,
                },
                "database": {"database_dir": "/scratch/db", "conda": "seamless-database"},
                "jobserver": {
                    "conda": "seamless",
                    "network_interface": "0.0.0.0",
                    "port_start": 60200,
                    "port_end": 60299,
                },
                "daskserver": {"network_interface": "0.0.0.0", "port_start": 60300, "port_end": 60399},
            },
        ],
        "default_queue": "default",
        "queues": {
            "default": {**FULL_QUEUE, "job_cores": 2},
            "excl": {
                "TEMPLATE": "default",
                "exclusive": True,
                "cores": None,
                "job_cores": None,
                "job-extra-directives": ["-A myacct"],
            },
            "excl_cores": {"TEMPLATE": "default", "exclusive": True, "job_cores": None},
            "gpu-long": {"TEMPLATE": "default", "partition": "gpu", "walltime": "24:00:00"},
            "full": {
                **FULL_QUEUE,
                "tmpdir": "/local/tmp",
                "worker_threads": 4,
                "processes": 2,
                "lifetime": "50m",
                "lifetime-stagger": "5m",
                "interactive": True,
                "project": "acct1",
                "partition": "main",
                "dask_resources": {"GPU": 1},
                "extra_dask_config": {"distributed.comm.timeouts.connect": "60s"},
                "job_extra_directives": ["--qos=long", "--exclusive"],
            },
        },
    },
    "noworkers": {
        "type": "slurm",
        "frontends": [
            {
                "hostname": "nw.example",
                "jobserver": {"conda": "x", "network_interface": "0.0.0.0", "port_start": 1, "port_end": 2},
            }
        ],
    },
    "typeless": {
        "frontends": [
            {
                "hostname": "tl.example",
                "daskserver": {"network_interface": "0.0.0.0", "port_start": 1000, "port_end": 1001},
            }
        ],
        "default_queue": "q",
        "queues": {"q": {"cores": 1, "conda": "c"}},
    },
}


def _matrix_queues(kind: str) -> dict[str, Any]:
    """One queue per queue feature (spec §1.2, §3.3-3.5), in SLURM or OAR spelling."""
    directives = ["--qos=high", "--constraint=avx2"] if kind == "slurm" else ["-t besteffort"]
    return {
        "base": {"conda": "dsk", "walltime": "02:00:00", "memory": "16GB", "cores": 8, "maximum_jobs": 4},
        "jobcores": {"TEMPLATE": "base", "job_cores": 2},
        "excl-cores": {"TEMPLATE": "base", "exclusive": True},
        "excl-whole": {"TEMPLATE": "base", "exclusive": True, "cores": None},
        "part-proj": {"TEMPLATE": "base", "partition": "big", "project": "acct9"},
        "directives": {"TEMPLATE": "base", "job-extra-directives": directives},
        "excl-directives": {"TEMPLATE": "directives", "exclusive": True, "cores": None},
        "prologue": {
            "TEMPLATE": "base",
            "job_script_prologue": ["module load dask/2026", "export OMP_PROC_BIND=1"],
        },
        "excl-prologue": {"TEMPLATE": "prologue", "exclusive": True, "cores": None},
        "procs": {"TEMPLATE": "base", "processes": 4, "worker_threads": 2},
        "durations": {
            "TEMPLATE": "base",
            "unknown-task-duration": "30s",
            "target_duration": "5m",
            "lifetime": "90m",
            "lifetime_stagger": "2m",
        },
        "interactive": {"TEMPLATE": "base", "interactive": True, "maximum_jobs": 1},
        "resources": {
            "TEMPLATE": "base",
            "dask_resources": {"GPU": 2},
            "extra_dask_config": {"distributed.comm.timeouts.connect": "90s"},
        },
        "chain1": {"TEMPLATE": "part-proj", "tmpdir": "/scratch/dask", "worker_threads": 3},
        "chain2": {
            "TEMPLATE": "chain1",
            "partition": None,
            "exclusive": True,
            "cores": None,
            "maximum_jobs": 2,
        },
        "chain3": {"TEMPLATE": "chain2", "tmpdir": None, "exclusive": False, "cores": 4, "job_cores": 1},
        "everything": {
            "conda": "dsk",
            "walltime": "12:00:00",
            "memory": "64GB",
            "cores": 16,
            "job_cores": 4,
            "exclusive": False,
            "interactive": True,
            "maximum_jobs": 10,
            "unknown_task_duration": "2m",
            "target_duration": "20m",
            "lifetime_stagger": "10m",
            "lifetime": "11h",
            "partition": "long",
            "project": "acct1",
            "tmpdir": "/local/tmp",
            "worker_threads": 6,
            "processes": 2,
            "job_extra_directives": directives,
            "job_script_prologue": ["source /etc/profile.d/site.sh"],
            "dask_resources": {"MEM": 64},
            "extra_dask_config": {"distributed.scheduler.allowed-failures": "5"},
        },
    }


def _matrix_cluster(kind: str, login: str) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "type": kind,
        "frontends": [
            {
                "hostname": f"{login}.example",
                "ssh_hostname": login,
                "daskserver": {"network_interface": "0.0.0.0", "port_start": 61000, "port_end": 61099},
            }
        ],
        "default_queue": "base",
        "queues": _matrix_queues(kind),
    }
    if kind == "oar":
        definition["memory_per_core_property_name"] = "memcore"
    return definition


MATRIX_CLUSTERS: dict[str, Any] = {
    "mslurm": _matrix_cluster("slurm", "slurm-login"),
    "moar": _matrix_cluster("oar", "oar-login"),
    "mreq": {
        "type": "slurm",
        "frontends": [
            {
                "hostname": "req.example",
                "ssh_hostname": "req",
                "daskserver": {"network_interface": "0.0.0.0", "port_start": 61100, "port_end": 61199},
            }
        ],
        "queues": {"nomemory": {"conda": "dsk", "walltime": "01:00:00", "cores": 2}},
    },
}
#: The matrix clusters whose queues are all valid for us.
MATRIX_NAMES = ("mslurm", "moar")
#: Command files of the matrix's node-selection cases.
MATRIX_COMMAND_FILES: dict[str, list[Any]] = {
    "mx-slurm-node": [{"cluster": "mslurm"}, {"node": "n3"}],
    "mx-oar-node": [{"cluster": "moar"}, {"node": "n3"}],
}
#: Queue field -> (``file_parameters`` name, value) the built-in schedulers fill in when a
#: queue leaves the field out: the seamless-dask wrapper's own defaults (weak point 8).
QUEUE_DEFAULTS: dict[str, tuple[str, Any]] = {
    "exclusive": ("exclusive", False),
    "interactive": ("interactive", False),
    "tmpdir": ("tmpdir", "/tmp"),
    "unknown_task_duration": ("unknown-task-duration", "1m"),
    "target_duration": ("target-duration", "10m"),
    "lifetime_stagger": ("lifetime-stagger", "4m"),
}
PROLOGUE = "job_script_prologue"


def without_prologue(clusters: dict[str, Any]) -> dict[str, Any]:
    """The clusters as 0.3.2 can read them: no ``job_script_prologue`` in any queue."""
    stripped = {}
    for name, definition in clusters.items():
        queues = {
            qname: {k: v for k, v in queue.items() if k.replace("-", "_") != PROLOGUE}
            for qname, queue in definition.get("queues", {}).items()
        }
        stripped[name] = {**definition, "queues": queues} if queues else definition
    return stripped


LOCAL_CLUSTERS = {"mylocal", "__SEAMLESS_CACHE__"}

#: Command files of the --workdir cases (seamless.yaml).
COMMAND_FILES: dict[str, list[Any]] = {
    "proj-hpc": [{"cluster": "hpc"}, {"project": "p1"}, {"queue": "excl"}, {"record": True}],
    "proj-oar-node": [{"cluster": "remote"}, {"project": "p2"}, {"node": "n7"}, {"record": True}],
    "proj-slurm-node": [{"cluster": "hpc"}, {"project": "p3"}, {"subproject": "sub"}, {"node": "n9"}],
    "proj-local-node": [{"cluster": "mylocal"}, {"project": "p"}, {"node": "n1"}],
}


def _definition(cluster: str) -> dict[str, Any]:
    found: dict[str, Any] = CLUSTERS[cluster] if cluster in CLUSTERS else MATRIX_CLUSTERS[cluster]
    return found


def resolved_queue(cluster: str, name: str) -> dict[str, Any]:
    """A queue of :data:`CLUSTERS` or :data:`MATRIX_CLUSTERS` after TEMPLATE inheritance
    (underscore names, nulls kept)."""
    queues = _definition(cluster)["queues"]
    raw = {key.replace("-", "_"): value for key, value in queues[name].items()}
    template = raw.pop("TEMPLATE", None)
    if template is None:
        return raw
    return {**resolved_queue(cluster, template), **raw}


def default_queue(cluster: str) -> str | None:
    value = {**CLUSTERS, **MATRIX_CLUSTERS}.get(cluster, {}).get("default_queue")
    return value if isinstance(value, str) else None


def cluster_type(cluster: str) -> str | None:
    value = {**CLUSTERS, **MATRIX_CLUSTERS}.get(cluster, {}).get("type")
    return value if isinstance(value, str) else None


def added_defaults(cluster: str, queue: str, service: str) -> dict[str, Any]:
    """weak 8: the ``file_parameters`` a queue of a typed cluster gets from the defaults
    (pure-daskserver passes no ``exclusive: false``)."""
    if cluster_type(cluster) is None:
        return {}
    fields = resolved_queue(cluster, queue)
    added = {}
    for field, (parameter, value) in QUEUE_DEFAULTS.items():
        if fields.get(field) is None and not (service == "pure-daskserver" and field == "exclusive"):
            added[parameter] = value
    return added


class World:
    """The files of the golden tests below ``base``."""

    def __init__(self, base: pathlib.Path) -> None:
        self.base = base
        self.home = base / "home"
        self.rhl = base / "rhl"
        self.empty_rhl = base / "rhl-empty"
        self.cache = base / "cache"
        self.cache_a = base / "cache-a"
        self.cache_b = base / "cache-b"
        self.cache_c = base / "cache-c"
        self.matrix_home = base / "home-matrix"
        self.matrix_reference_home = base / "home-matrix-0.3.2"

    def project(self, name: str) -> pathlib.Path:
        return self.base / name

    def write(self) -> None:
        (self.home / ".seamless").mkdir(parents=True)
        (self.home / ".seamless" / "clusters.yaml").write_text(yaml.safe_dump(CLUSTERS, sort_keys=False))
        for home, clusters in (
            (self.matrix_home, MATRIX_CLUSTERS),
            (self.matrix_reference_home, without_prologue(MATRIX_CLUSTERS)),
        ):
            (home / ".seamless").mkdir(parents=True)
            (home / ".seamless" / "clusters.yaml").write_text(yaml.safe_dump(clusters, sort_keys=False))
        for name, commands in {**COMMAND_FILES, **MATRIX_COMMAND_FILES}.items():
            self.project(name).mkdir()
            (self.project(name) / "seamless.yaml").write_text(yaml.safe_dump(commands, sort_keys=False))
        self.empty_rhl.mkdir()
        server = self.rhl / "server"
        server.mkdir(parents=True)
        states = {
            "hashserver-__SEAMLESS_CACHE__-rw-__TOPLEVEL__": f"{self.cache_a}/__TOPLEVEL__",
            "database-__SEAMLESS_CACHE__-rw-__TOPLEVEL__--STAGE-s": f"{self.cache_b}/__TOPLEVEL__/STAGE-s",
            "hashserver-__SEAMLESS_CACHE__-ro-__TOPLEVEL__--STAGE-t": f"{self.cache_b}/__TOPLEVEL__/STAGE-t",
        }
        for key, workdir in states.items():
            (server / f"{key}.json").write_text(
                json.dumps({"workdir": workdir, "status": "running", "pid": 1})
            )

    def env(self, kind: str, *, reference: bool = False) -> dict[str, str]:
        """``main``: cluster files only; ``cache``: SEAMLESS_CACHE set; ``alias``: state files
        of earlier SEAMLESS_CACHE runs; ``alias-env``: both; ``matrix``: the scheduler
        matrix (for the reference: without the prologues it cannot read)."""
        home = self.home
        if kind == "matrix":
            home = self.matrix_reference_home if reference else self.matrix_home
        env = {"HOME": str(home), "REMOTE_HTTP_LAUNCHER_DIR": str(self.empty_rhl)}
        if kind == "cache":
            env["SEAMLESS_CACHE"] = str(self.cache)
        if kind in ("alias", "alias-env"):
            env["REMOTE_HTTP_LAUNCHER_DIR"] = str(self.rhl)
        if kind == "alias-env":
            env["SEAMLESS_CACHE"] = str(self.cache_c)
        return env
