"""The golden matrix: which requests the golden tests resolve with 0.3.2 and with us.

Each case names the weak points (spec §7) where we deliberately differ from 0.3.2 for that
request, and the test checks that exactly those adjustments change the reference's output:

* ``weak1``: ``ssh_hostname`` of a remote frontend without one is its ``hostname`` (0.3.2: null);
* ``weak6``: ``meta`` is truthful (queue used, key's mode, no ignored substage, nothing
  pure-daskserver's key does not hold); an unknown ``--queue`` is an error;
* ``weak8``: the scheduler's defaults are filled in for the queue fields left out (the
  Dask wrapper's own defaults, written out), and a queue without a required field is refused;
* ``weak8prologue``: ``job_script_prologue`` is accepted in YAML and reaches the workers
  (0.3.2 rejects the file; its side reads a copy without the prologues);
* ``weak9``: pure-daskserver on an exclusive SLURM or OAR queue gets ``exclusive: true``, and
  on SLURM without ``cores`` the ``--exclusive`` directive (OAR's ``/nodes=1`` it had already);
* ``weak26``: ``ro`` hashserver/database log to ``<service>-ro.log``.

The scheduler matrix (:func:`matrix_cases`) resolves every queue of ``mslurm`` and ``moar``
for both Dask services, with and without a ``node`` command; the job-script tests
(tests/schedulers) reuse these cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from golden_world import (
    CLUSTERS,
    MATRIX_CLUSTERS,
    MATRIX_COMMAND_FILES,
    MATRIX_NAMES,
    PROLOGUE,
    added_defaults,
    cluster_type,
    resolved_queue,
)

DATA_SELECTIONS: list[tuple[str, dict[str, str]]] = [
    ("p", {"project": "p"}),
    ("p-sub", {"project": "p", "subproject": "sub"}),
    ("proj-subx-s1", {"project": "proj", "subproject": "sub/x", "stage": "s1"}),
    ("p-s1-gpu", {"project": "p", "stage": "s1", "substage": "gpu"}),
]
TASK_SELECTIONS: list[tuple[str, dict[str, str]]] = [
    *DATA_SELECTIONS,
    ("p-gpu-nostage", {"project": "p", "substage": "gpu"}),
    ("q-sub-s-x", {"project": "q", "subproject": "a/b", "stage": "s", "substage": "x"}),
]
CLUSTER_NAMES = ("mylocal", "bare", "remote", "hpc")
#: Clusters whose frontend has no ssh_hostname although it is reached over SSH.
NO_SSH_HOSTNAME = {"bare", "remote"}


@dataclass(frozen=True)
class Case:
    id: str
    args: dict[str, str]
    kind: str = "main"
    workdir: str | None = None
    tags: tuple[str, ...] = ()
    #: None: both succeed; "both": both fail; "ours": 0.3.2 succeeds, we refuse (a weak point).
    error: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def test_id(self) -> str:
        return self.id + ("~" + "+".join(self.tags) if self.tags else "")

    def argv(self, project_dir: str | None) -> list[str]:
        argv: list[str] = []
        for name, value in self.args.items():
            argv += [f"--{name.replace('_', '-')}", value]
        if project_dir is not None:
            argv += ["--workdir", project_dir]
        return argv


def _tags(*conditions: tuple[str, bool]) -> tuple[str, ...]:
    return tuple(sorted({name for name, condition in conditions if condition}))


def _queue_is_exclusive(cluster: str, queue: str) -> bool:
    return bool(resolved_queue(cluster, queue).get("exclusive"))


def _weak9(cluster: str, queue: str | None) -> bool:
    """A pure-daskserver on this queue gets what 0.3.2 only gave the daskserver."""
    return (
        queue is not None
        and cluster_type(cluster) in ("slurm", "oar")
        and _queue_is_exclusive(cluster, queue)
    )


def _weak8(cluster: str, queue: str | None, service: str) -> bool:
    return queue is not None and bool(added_defaults(cluster, queue, service))


def _has_prologue(cluster: str, queue: str | None) -> bool:
    return queue is not None and bool(resolved_queue(cluster, queue).get(PROLOGUE))


def data_cases() -> list[Case]:
    cases = []
    for service in ("hashserver", "database"):
        for cluster in CLUSTER_NAMES:
            for mode in ("rw", "ro"):
                for name, selection in DATA_SELECTIONS:
                    tags = _tags(
                        ("weak1", cluster in NO_SSH_HOSTNAME),
                        ("weak26", mode == "ro"),
                        ("weak6", "substage" in selection),
                    )
                    args = {"service": service, "cluster": cluster, "mode": mode, **selection}
                    cases.append(Case(f"{service}-{cluster}-{mode}-{name}", args, tags=tags))
        cases.append(
            Case(
                f"{service}-hpc-queue-given",
                {"service": service, "cluster": "hpc", "project": "p", "queue": "excl"},
                tags=("weak6",),
            )
        )
    cases.append(
        Case(
            "hashserver-hpc-frontend-login2",
            {
                "service": "hashserver",
                "cluster": "hpc",
                "project": "p",
                "frontend_name": "login2.hpc.example",
            },
        )
    )
    cases.append(
        Case(
            "hashserver-hpc-frontend-login1",
            {
                "service": "hashserver",
                "cluster": "hpc",
                "project": "p",
                "frontend_name": "login1.hpc.example",
            },
        )
    )
    return cases


def task_cases() -> list[Case]:
    cases = []
    for cluster in CLUSTER_NAMES:
        for name, selection in TASK_SELECTIONS:
            ignored_substage = "substage" in selection and "stage" not in selection
            tags = _tags(("weak1", cluster in NO_SSH_HOSTNAME), ("weak6", ignored_substage))
            cases.append(
                Case(
                    f"jobserver-{cluster}-{name}",
                    {"service": "jobserver", "cluster": cluster, **selection},
                    tags=tags,
                )
            )
        tags = _tags(("weak1", cluster in NO_SSH_HOSTNAME), ("weak6", True))
        args = {"service": "jobserver", "cluster": cluster, "project": "p", "stage": "s", "mode": "ro"}
        cases.append(Case(f"jobserver-{cluster}-mode-ro", args, tags=tags))
    return cases


def dask_cases() -> list[Case]:
    cases = []
    for cluster in CLUSTER_NAMES:
        queues = [None, *CLUSTERS[cluster]["queues"]]
        for queue in queues:
            qname = queue or "defaultqueue"
            for name, selection in TASK_SELECTIONS[0], TASK_SELECTIONS[3], TASK_SELECTIONS[4]:
                args = {"service": "daskserver", "cluster": cluster, **selection}
                if queue is not None:
                    args["queue"] = queue
                no_queue = queue is None and CLUSTERS[cluster].get("default_queue") is None
                ignored_substage = "substage" in selection and "stage" not in selection
                used_queue = queue or CLUSTERS[cluster].get("default_queue")
                tags = _tags(
                    ("weak1", cluster in NO_SSH_HOSTNAME and not no_queue),
                    ("weak6", (queue is None or ignored_substage) and not no_queue),
                    ("weak8", _weak8(cluster, used_queue, "daskserver")),
                )
                error = "both" if no_queue else None
                cases.append(Case(f"daskserver-{cluster}-{qname}-{name}", args, tags=tags, error=error))
            pure_args = {"service": "pure-daskserver", "cluster": cluster}
            if queue is not None:
                pure_args["queue"] = queue
            used = queue or CLUSTERS[cluster].get("default_queue")
            tags = _tags(
                ("weak1", cluster in NO_SSH_HOSTNAME and used is not None),
                ("weak6", used is not None),
                ("weak8", _weak8(cluster, used, "pure-daskserver")),
                ("weak9", _weak9(cluster, used)),
            )
            error = "both" if used is None else None
            cases.append(Case(f"pure-daskserver-{cluster}-{qname}", pure_args, tags=tags, error=error))
            if queue is None and used is not None:
                with_project = {**pure_args, "project": "p", "stage": "s", "mode": "ro"}
                cases.append(Case(f"pure-daskserver-{cluster}-with-project", with_project, tags=tags))
    return cases


def workdir_cases() -> list[Case]:
    """Selections from command files (--workdir): a selected queue, node, record."""
    c = Case
    return [
        c("wd-hpc-hashserver", {"service": "hashserver"}, workdir="proj-hpc", tags=("weak6",)),
        c("wd-hpc-jobserver-record", {"service": "jobserver"}, workdir="proj-hpc", tags=("weak6",)),
        c(
            "wd-hpc-daskserver-selected-queue",
            {"service": "daskserver", "stage": "s"},
            workdir="proj-hpc",
            tags=("weak8",),
        ),
        c(
            "wd-hpc-pure-selected-queue",
            {"service": "pure-daskserver"},
            workdir="proj-hpc",
            tags=("weak6", "weak8", "weak9"),
        ),
        c(
            "wd-hpc-daskserver-other-cluster-drops-queue",
            {"service": "daskserver", "cluster": "remote"},
            workdir="proj-hpc",
            tags=("weak1", "weak6", "weak8"),
        ),
        c(
            "wd-oar-node-daskserver",
            {"service": "daskserver"},
            workdir="proj-oar-node",
            tags=("weak1", "weak6", "weak8"),
        ),
        c(
            "wd-oar-node-daskserver-wholenode",
            {"service": "daskserver", "queue": "wholenode"},
            workdir="proj-oar-node",
            tags=("weak1", "weak8"),
        ),
        c(
            "wd-oar-node-daskserver-fixed",
            {"service": "daskserver", "queue": "fixed", "stage": "s", "substage": "g"},
            workdir="proj-oar-node",
            tags=("weak1", "weak8"),
        ),
        c(
            "wd-oar-node-pure-wholenode",
            {"service": "pure-daskserver", "queue": "wholenode"},
            workdir="proj-oar-node",
            tags=("weak1", "weak6", "weak8", "weak9"),
        ),
        c(
            "wd-slurm-node-daskserver",
            {"service": "daskserver"},
            workdir="proj-slurm-node",
            tags=("weak6", "weak8"),
        ),
        c(
            "wd-slurm-node-daskserver-excl",
            {"service": "daskserver", "queue": "excl"},
            workdir="proj-slurm-node",
            tags=("weak8",),
        ),
        c(
            "wd-slurm-node-pure-excl",
            {"service": "pure-daskserver", "queue": "excl"},
            workdir="proj-slurm-node",
            tags=("weak6", "weak8", "weak9"),
        ),
        c(
            "wd-slurm-node-pure-full",
            {"service": "pure-daskserver", "queue": "full"},
            workdir="proj-slurm-node",
            tags=("weak6",),
        ),
        c("wd-local-node-hashserver", {"service": "hashserver"}, workdir="proj-local-node"),
        c("wd-local-node-daskserver", {"service": "daskserver"}, workdir="proj-local-node", error="both"),
        c("wd-local-node-pure", {"service": "pure-daskserver"}, workdir="proj-local-node", error="both"),
    ]


def matrix_tags(cluster: str, queue: str, service: str) -> tuple[str, ...]:
    """The weak points a request on the scheduler matrix differs from 0.3.2 by."""
    pure = service == "pure-daskserver"
    return _tags(
        ("weak6", pure),
        ("weak8", _weak8(cluster, queue, service)),
        ("weak8prologue", _has_prologue(cluster, queue)),
        ("weak9", pure and _weak9(cluster, queue)),
    )


def matrix_cases() -> list[Case]:
    """Every matrix queue on SLURM and OAR, for both Dask services, with and without a node."""
    workdirs = {commands[0]["cluster"]: name for name, commands in MATRIX_COMMAND_FILES.items()}
    cases = []
    for cluster in MATRIX_NAMES:
        for queue in MATRIX_CLUSTERS[cluster]["queues"]:
            for service in ("daskserver", "pure-daskserver"):
                args = {"service": service, "cluster": cluster, "queue": queue}
                if service == "daskserver":
                    args["project"] = "m"
                tags = matrix_tags(cluster, queue, service)
                short = "dask" if service == "daskserver" else "pure"
                cases.append(Case(f"mx-{cluster}-{queue}-{short}", args, kind="matrix", tags=tags))
                node_args = {k: v for k, v in args.items() if k != "cluster"}
                cases.append(
                    Case(
                        f"mx-{cluster}-{queue}-{short}-node",
                        node_args,
                        kind="matrix",
                        workdir=workdirs[cluster],
                        tags=tags,
                    )
                )
    for service in ("daskserver", "pure-daskserver"):
        args = {"service": service, "cluster": "mreq", "queue": "nomemory", "project": "m"}
        cases.append(Case(f"mx-mreq-{service}", args, kind="matrix", tags=("weak8",), error="ours"))
    return cases


def cache_cases() -> list[Case]:
    """SEAMLESS_CACHE set, and ``--project SEAMLESS_CACHE`` from state files or the variable."""
    c = Case
    return [
        c("cache-hashserver", {"service": "hashserver"}, kind="cache"),
        c("cache-database-stage", {"service": "database", "stage": "s"}, kind="cache"),
        c("cache-hashserver-ro", {"service": "hashserver", "mode": "ro"}, kind="cache", tags=("weak26",)),
        c(
            "cache-hashserver-substage",
            {"service": "hashserver", "stage": "s", "substage": "x"},
            kind="cache",
            tags=("weak6",),
        ),
        c(
            "cache-database-project",
            {"service": "database", "project": "myproj", "subproject": "a/b"},
            kind="cache",
        ),
        c("cache-jobserver", {"service": "jobserver"}, kind="cache", error="both"),
        c("alias-hashserver", {"service": "hashserver", "project": "SEAMLESS_CACHE"}, kind="alias"),
        c(
            "alias-database-via-hashserver-state",
            {"service": "database", "project": "SEAMLESS_CACHE"},
            kind="alias",
        ),
        c(
            "alias-database-stage",
            {"service": "database", "project": "SEAMLESS_CACHE", "stage": "s"},
            kind="alias",
        ),
        c(
            "alias-hashserver-ro-stage",
            {"service": "hashserver", "project": "SEAMLESS_CACHE", "stage": "t", "mode": "ro"},
            kind="alias",
            tags=("weak26",),
        ),
        c(
            "alias-toplevel-cache-cluster",
            {"service": "hashserver", "project": "__TOPLEVEL__", "cluster": "__SEAMLESS_CACHE__"},
            kind="alias",
        ),
        c(
            "alias-no-state-no-env",
            {"service": "hashserver", "project": "SEAMLESS_CACHE", "stage": "zz"},
            kind="alias",
            error="both",
        ),
        c(
            "alias-env-fallback",
            {"service": "hashserver", "project": "SEAMLESS_CACHE", "stage": "zz"},
            kind="alias-env",
        ),
        c(
            "alias-jobserver",
            {"service": "jobserver", "project": "SEAMLESS_CACHE"},
            kind="alias",
            error="both",
        ),
    ]


def error_cases() -> list[Case]:
    c = Case
    return [
        c("error-no-project", {"service": "hashserver", "cluster": "mylocal"}, error="both"),
        c(
            "error-unknown-cluster",
            {"service": "hashserver", "cluster": "nope", "project": "p"},
            error="both",
        ),
        c("error-no-workers", {"service": "jobserver", "cluster": "noworkers", "project": "p"}, error="both"),
        c("error-no-type", {"service": "daskserver", "cluster": "typeless", "project": "p"}, error="both"),
        c("error-pure-no-type", {"service": "pure-daskserver", "cluster": "typeless"}, error="both"),
        c(
            "error-pure-unknown-queue",
            {"service": "pure-daskserver", "cluster": "hpc", "queue": "nope"},
            error="both",
        ),
        c(
            "error-daskserver-unknown-queue",
            {"service": "daskserver", "cluster": "hpc", "project": "p", "queue": "nope"},
            tags=("weak6",),
            error="ours",
        ),
        c(
            "error-unknown-frontend",
            {"service": "hashserver", "cluster": "hpc", "project": "p", "frontend_name": "nothere"},
            error="both",
        ),
        c(
            "error-frontend-without-section",
            {"service": "database", "cluster": "hpc", "project": "p", "frontend_name": "login1.hpc.example"},
            error="both",
        ),
        c(
            "error-no-hashserver-section",
            {"service": "hashserver", "cluster": "typeless", "project": "p"},
            error="both",
        ),
    ]


def all_cases() -> list[Case]:
    cases = [
        *data_cases(),
        *task_cases(),
        *dask_cases(),
        *workdir_cases(),
        *matrix_cases(),
        *cache_cases(),
        *error_cases(),
    ]
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return cases
