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
from golden_world import LOCAL_CLUSTERS, World, default_queue, resolved_queue
from reference_sc import ensure_reference_sc_venv

from remote_http_launcher import Configuration as LauncherConfiguration
from seamless_config_services import config
from seamless_config_services.cache_alias import configuration_for, is_cache_request
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
    python = ensure_reference_sc_venv()
    payload = [
        {
            "id": case.id,
            "argv": case.argv(str(world.project(case.workdir)) if case.workdir else None),
            "env": world.env(case.kind),
            "cwd": str(world.base),
            "status_file": STATUS_FILE,
        }
        for case in CASES
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
        queue = key[len(f"pure-daskserver-{cluster}-") :]
        meta = dict.fromkeys(META_FIELDS)
        meta.update(service=service, cluster=cluster, queue=queue)
    return meta


def pure_exclusive(reference_config: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """weak 9: a pure-daskserver on an exclusive SLURM queue, as the daskserver would be."""
    parameters = dict(reference_config["file_parameters"])
    queue = resolved_queue(meta["cluster"], meta["queue"])
    if reference_config["cluster_string"] == "dask_jobqueue::SLURMCluster" and queue.get("exclusive"):
        parameters["exclusive"] = True
        if queue.get("cores") is None:
            directives = list(parameters.get("job_extra_directives") or [])
            if "--exclusive" not in directives:
                directives.append("--exclusive")
            parameters["job_extra_directives"] = directives
    return parameters


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

    if meta["service"] == "pure-daskserver":
        parameters = pure_exclusive(reference_config, meta)
        if parameters != reference_config["file_parameters"]:
            changed.add("weak9")
            config_["file_parameters"] = parameters
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
        return
    assert isinstance(ours, Resolution), ours

    config_, resolved, changed = expected(case, result)
    assert changed == set(case.tags), "the case's weak-point tags do not match what the fixes change"

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
