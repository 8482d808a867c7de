"""Golden tests: our resolver against seamless-config 0.3.2, request by request.

The expectations are computed by running the reference itself (``reference_driver.py`` in
its own venv, ``reference_sc.py``) on the same files; nothing here restates what 0.3.2
outputs. For every case of ``golden_cases.py`` we compare, field by field, the key, workdir,
log path, the ``seamless-service-resolve`` JSON and the whole launcher config, with the
command line rendered by each side's launcher for the same status file. Where we differ on
purpose, the test id names the weak point (``~weak6``), the expected value is the
reference's with exactly that fix applied, and the test checks that the fix does change the
reference's output (so a tag can neither hide a real difference nor be stale).
"""

from __future__ import annotations

import json
import pathlib
import subprocess
from typing import Any

import pytest
from golden_cases import NO_SSH_HOSTNAME, Case, all_cases
from golden_world import (
    CLUSTERS,
    LOCAL_CLUSTERS,
    MATRIX_CLUSTERS,
    PROLOGUE,
    World,
    added_defaults,
    default_queue,
    resolved_queue,
)
from reference_sc import ensure_reference_sc_venv

from remote_http_launcher import Configuration as LauncherConfiguration
from seamless_config_services import config
from seamless_config_services.cache_alias import configuration_for, is_cache_request
from seamless_config_services.config.queues import QUEUE_FIELDS
from seamless_config_services.errors import ServiceError
from seamless_config_services.resolve import Resolution, resolve

pytestmark = pytest.mark.reference

DRIVER = pathlib.Path(__file__).with_name("reference_driver.py")
STATUS_FILE = "~/.remote-http-launcher/server/the-key.json"
META_FIELDS = ("service", "cluster", "mode", "project", "subproject", "stage", "substage", "queue")
CASES = all_cases()
MISSING = object()


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    found = World(tmp_path_factory.mktemp("golden"))
    found.write()
    return found


@pytest.fixture(scope="session")
def reference(world: World) -> dict[str, dict[str, Any]]:
    """The reference's results for every case, from one run of the driver."""
    return run_reference(world, CASES)


def run_reference(world: World, cases: list[Case]) -> dict[str, dict[str, Any]]:
    """The reference's results for ``cases``, by case id (the job-script tests use it too)."""
    python = ensure_reference_sc_venv()
    payload = [
        {
            "id": case.id,
            "argv": case.argv(str(world.project(case.workdir)) if case.workdir else None),
            "env": world.env(case.kind, reference=True),
            "cwd": str(world.base),
            "status_file": STATUS_FILE,
        }
        for case in cases
    ]
    proc = subprocess.run(
        [str(python), str(DRIVER)], input=json.dumps(payload), capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    return {result["id"]: result for result in results}


def resolve_ours(case: Case, world: World) -> Resolution | ServiceError:
    """What our commands resolve for the case (the path ``api.load`` takes)."""
    args = dict(case.args)
    service = args.pop("service")
    overrides = config.Overrides(**args)
    env = world.env(case.kind)
    try:
        if is_cache_request(overrides.project, overrides.cluster):
            configuration = configuration_for(overrides, service=service, environ=env)
        else:
            workdir = world.project(case.workdir) if case.workdir else None
            configuration = config.load(
                workdir, overrides=overrides, read_command_files=workdir is not None, environ=env
            )
        return resolve(configuration, service)
    except ServiceError as exc:
        return exc


# -- the reference's output with our deliberate fixes applied ----------------------------------


def pure_cluster(key: str) -> str:
    """The cluster of a pure-daskserver key (``pure-daskserver-<cluster>-<queue>``)."""
    found = [
        name
        for name, definition in {**CLUSTERS, **MATRIX_CLUSTERS}.items()
        if isinstance(definition, dict)
        and key.startswith(f"pure-daskserver-{name}-")
        and key[len(f"pure-daskserver-{name}-") :] in (definition.get("queues") or {})
    ]
    assert len(found) == 1, (key, found)
    return found[0]


def truthful_meta(reference_meta: dict[str, Any], key: str) -> dict[str, Any]:
    """weak 6: what the key really depends on."""
    meta = dict(reference_meta)
    service, cluster = meta["service"], meta["cluster"]
    if service in ("hashserver", "database"):
        meta.update(substage=None, queue=None)
    elif service in ("jobserver", "daskserver"):
        meta["mode"] = "rw"
        if not meta["stage"]:
            meta["substage"] = None
        meta["queue"] = None if service == "jobserver" else (meta["queue"] or default_queue(cluster))
    elif service == "pure-daskserver":
        if cluster is None:  # 0.3.2 leaves it out when the command files set no project
            cluster = pure_cluster(key)
        queue = key[len(f"pure-daskserver-{cluster}-") :]
        meta = dict.fromkeys(META_FIELDS)
        meta.update(service=service, cluster=cluster, queue=queue)
    return meta


BATCH_CLUSTERS = ("dask_jobqueue::SLURMCluster", "dask_jobqueue::OARCluster")


def pure_exclusive(parameters: dict[str, Any], cluster_string: str, meta: dict[str, Any]) -> dict[str, Any]:
    """weak 9: a pure-daskserver on an exclusive SLURM or OAR queue, as the daskserver would
    be: ``exclusive: true``, and the whole-node request (0.3.2 already gave OAR its
    ``/nodes=1``; SLURM gets ``--exclusive``)."""
    parameters = dict(parameters)
    queue = resolved_queue(meta["cluster"], meta["queue"])
    if cluster_string in BATCH_CLUSTERS and queue.get("exclusive"):
        parameters["exclusive"] = True
        if cluster_string == BATCH_CLUSTERS[0] and queue.get("cores") is None:
            directives = list(parameters.get("job_extra_directives") or [])
            if "--exclusive" not in directives:
                directives.append("--exclusive")
            parameters["job_extra_directives"] = directives
    return parameters


def with_defaults(parameters: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """weak 8: the defaults for exactly the queue fields the queue leaves out (0.3.2 passed
    nothing for them, so none of them may be in its parameters)."""
    added = added_defaults(meta["cluster"], meta["queue"], meta["service"])
    assert not set(added) & set(parameters), "a default for a field the reference passed"
    return {**parameters, **added}


def with_prologue(parameters: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """weak 8 (prologue): the queue's ``job_script_prologue`` reaches the wrapper."""
    prologue = resolved_queue(meta["cluster"], meta["queue"]).get(PROLOGUE)
    return {**parameters, PROLOGUE: prologue} if prologue else dict(parameters)


def dask_fixes(reference_config: dict[str, Any], meta: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The reference's ``file_parameters`` with weak points 8 and 9 fixed, and which fixes
    changed them."""
    changed: set[str] = set()
    parameters: dict[str, Any] = reference_config["file_parameters"]
    steps: list[tuple[str, Any]] = [("weak8", with_defaults), ("weak8prologue", with_prologue)]
    for tag, fix in steps:
        fixed = fix(parameters, meta)
        if fixed != parameters:
            changed.add(tag)
        parameters = fixed
    if meta["service"] == "pure-daskserver":
        fixed = pure_exclusive(parameters, reference_config["cluster_string"], meta)
        if fixed != parameters:
            changed.add("weak9")
        parameters = fixed
    if parameters.get("exclusive") and meta["service"] == "daskserver" and "job_cores" in parameters:
        # jobcores: the wrapper refuses job_cores in exclusive mode (it derives it from cores)
        parameters = {k: v for k, v in parameters.items() if k != "job_cores"}
        changed.add("jobcores")
    directives = parameters.get("job_extra_directives") or []
    if reference_config["cluster_string"] == BATCH_CLUSTERS[1] and "-p" in directives:
        # oarnode: "-p" and "host='n'" become the one directive -p "host='n'"
        at = directives.index("-p")
        merged = [*directives[:at], f'-p "{directives[at + 1]}"', *directives[at + 2 :]]
        parameters = {**parameters, "job_extra_directives": merged}
        changed.add("oarnode")
    return parameters, changed


#: Fixes found by the job-script goldens, applied wherever their condition holds (the cases
#: do not list them: every exclusive daskserver queue with cores, every OAR node selection).
DERIVED_TAGS = {"jobcores", "oarnode"}


def expected(case: Case, result: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """(launcher config, resolve JSON, weak points that changed something)."""
    dispatch = result["dispatch"]
    reference_config: dict[str, Any] = dispatch["config"]
    reference_json: dict[str, Any] = json.loads(result["cli"]["stdout"])
    assert {k: reference_json[k] for k in META_FIELDS} == reference_config["meta"]
    config_: dict[str, Any] = {**reference_config, "command": dispatch["command"]}
    resolved: dict[str, Any] = dict(reference_json)
    changed: set[str] = set()

    meta = truthful_meta(reference_config["meta"], dispatch["key"])
    if meta != reference_config["meta"]:
        changed.add("weak6")
    config_["meta"] = meta
    resolved.update(meta)

    cluster = meta["cluster"]
    if cluster not in LOCAL_CLUSTERS:
        target = reference_config.get("ssh_hostname") or reference_config["hostname"]
        if target != reference_json["ssh_hostname"]:
            changed.add("weak1")
            resolved["ssh_hostname"] = target

    if meta["service"] in ("hashserver", "database") and meta["mode"] == "ro":
        for field in ("log_file", "debug_log_file"):
            name = meta["service"]
            config_[field] = config_[field].replace(f"/{name}.", f"/{name}-ro.")
        changed.add("weak26")

    if meta["service"] in ("daskserver", "pure-daskserver"):
        config_["file_parameters"], fixed = dask_fixes(reference_config, meta)
        changed |= fixed
    return config_, resolved, changed


def reference_failed(result: dict[str, Any]) -> bool:
    return result["cli"].get("rc") != 0 and "error" in result["dispatch"]


def assert_same_fields(ours: dict[str, Any], wanted: dict[str, Any], what: str) -> None:
    for name in sorted(set(ours) | set(wanted)):
        assert ours.get(name, MISSING) == wanted.get(name, MISSING), f"{what}: field {name!r}"


@pytest.mark.parametrize("case", CASES, ids=[case.test_id for case in CASES])
def test_golden(case: Case, world: World, reference: dict[str, dict[str, Any]]) -> None:
    result = reference[case.id]
    ours = resolve_ours(case, world)
    if case.error == "both":
        assert reference_failed(result), result
        assert isinstance(ours, ServiceError), ours
        assert "\n" not in str(ours)
        return
    assert not reference_failed(result), result
    if case.error == "ours":
        assert isinstance(ours, ServiceError), ours
        assert "\n" not in str(ours)
        if "weak8" in case.tags:
            assert str(ours).endswith(
                "queues.nomemory.memory: required for a slurm queue (the Dask workers need a memory size)"
            )
        return
    assert isinstance(ours, Resolution), ours

    config_, resolved, changed = expected(case, result)
    declared = changed - DERIVED_TAGS
    assert declared == set(case.tags), "the case's weak-point tags do not match what the fixes change"

    ours_config = dict(ours.launcher_config)
    ours_config["command"] = LauncherConfiguration.from_mapping(ours.launcher_config).command_string(
        STATUS_FILE
    )
    assert_same_fields(ours_config, config_, "launcher config")
    assert_same_fields(ours.as_json(), resolved, "resolve JSON")
    assert list(ours.as_json()) == sorted(resolved)
    assert ours.key == result["dispatch"]["key"]
    assert ours.workdir == config_["workdir"]
    assert ours.log_path == resolved["log_path"]
    assert ours.local == (ours.cluster.name in LOCAL_CLUSTERS)
    assert (ours.ssh_target is None) == ours.local
    if ours.cluster.name in NO_SSH_HOSTNAME:
        assert ours.ssh_target == ours.frontend.hostname


def test_matrix_covers_what_the_issue_lists() -> None:
    """Cluster kinds, options, modes, queues, SEAMLESS_CACHE: each appears in the matrix."""
    ids = " ".join(case.id for case in CASES)
    for needle in (
        "mylocal",
        "bare",
        "remote",
        "hpc",
        "-ro-",
        "-rw-",
        "sub",
        "s1-gpu",
        "excl",
        "wholenode",
        "node",
        "cache-",
        "alias-",
        "frontend",
        "defaultqueue",
        "long-q",
    ):
        assert needle in ids, needle
    assert len(CASES) > 200


def test_scheduler_matrix_covers_every_queue_feature() -> None:
    """Both batch schedulers, both Dask services, every queue field, with and without a node,
    and each weak point of the schedulers (8, its prologue part, 9) on both schedulers."""
    matrix = [case for case in CASES if case.kind == "matrix"]
    fields = {
        field.replace("-", "_")
        for name in ("mslurm", "moar")
        for queue in MATRIX_CLUSTERS[name]["queues"].values()
        for field in queue
    }
    assert fields == set(QUEUE_FIELDS)
    for scheduler in ("mslurm", "moar"):
        for service in ("dask", "pure"):
            for node in ("", "-node"):
                prefix, suffix = f"mx-{scheduler}-", f"-{service}{node}"
                found = [c for c in matrix if c.id.startswith(prefix) and c.id.endswith(suffix)]
                assert len(found) == len(MATRIX_CLUSTERS[scheduler]["queues"])
        tags = {tag for case in matrix if case.id.startswith(f"mx-{scheduler}-") for tag in case.tags}
        assert {"weak8", "weak8prologue", "weak9"} <= tags
