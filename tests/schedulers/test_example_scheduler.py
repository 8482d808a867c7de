"""A third-party scheduler: the PBS plugin in tests/plugins/seamless-example-scheduler.

It is found through its entry points (``seamless_config_services`` for the cluster type,
``remote_http_launcher.batch_systems`` for ``rhl-jobs``), a ``type: pbs`` cluster resolves
with the installed ``seamless-service-resolve``, its worker job script comes from the real
wrapper and dask-jobqueue (golden files ``golden/pbs-*.sh``), and without the plugin the type
is refused in one line. When the plugin is not installed in this environment, the fixture
installs it into a temporary directory with pip.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import pytest
from test_job_scripts import check_golden, port_range, run_wrapper

from conftest import RhlEnv
from seamless_config_services import config, plugins
from seamless_config_services.resolve import resolve

pytestmark = pytest.mark.reference  # the job scripts need the side venv

PLUGIN_SOURCE = pathlib.Path(__file__).resolve().parent.parent / "plugins" / "seamless-example-scheduler"
CLUSTERS = """\
pbsc:
  type: pbs
  frontends:
    - hostname: login.pbs.example
      ssh_hostname: pbs-login
      daskserver: {network_interface: 0.0.0.0, port_start: 62000, port_end: 62099}
  default_queue: workq
  queues:
    workq: {conda: dask, walltime: "01:00:00", memory: 8GB, cores: 4, partition: workq, project: acct7}
    whole: {TEMPLATE: workq, exclusive: true, cores: null}
"""


def _installed() -> bool:
    return any(ep.name == "pbs" for ep in metadata.entry_points(group=plugins.ENTRY_POINT_GROUP))


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path | None:
    """``None`` when the plugin is installed here; else a ``pip install --target`` of it."""
    if _installed():
        return None
    work = tmp_path_factory.mktemp("example-scheduler")
    shutil.copytree(PLUGIN_SOURCE, work / "src")  # builds never write into the repository
    target = work / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
    proc = subprocess.run([*pip, str(work / "src")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return target


def _fresh_registry() -> None:
    plugins.manager.cache_clear()
    plugins.service_types.cache_clear()
    plugins.schedulers.cache_clear()


@pytest.fixture
def with_plugin(plugin_site: pathlib.Path | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plugin importable here, every plugin allowed, the registry rebuilt before and after."""
    if plugin_site is not None:
        monkeypatch.syspath_prepend(str(plugin_site))
    monkeypatch.delenv(plugins.ENV_PLUGINS, raising=False)
    _fresh_registry()
    yield
    _fresh_registry()


@pytest.fixture
def home(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "home" / ".seamless").mkdir(parents=True)
    (tmp_path / "home" / ".seamless" / "clusters.yaml").write_text(CLUSTERS)
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "seamless.yaml").write_text("- cluster: pbsc\n- node: cn042\n")
    return tmp_path / "home"


def command_env(plugin_site: pathlib.Path | None, home: pathlib.Path, **extra: str) -> dict[str, str]:
    env = {"HOME": str(home), "PATH": f"{pathlib.Path(sys.executable).parent}:/usr/bin:/bin", **extra}
    if plugin_site is not None:
        env["PYTHONPATH"] = str(plugin_site)
    return env


def test_the_registry_has_it_after_the_built_ins(with_plugin: None) -> None:
    registry = plugins.schedulers()
    assert registry.names() == ["local", "slurm", "oar", "pbs"]
    assert registry.plugin_of["pbs"] == "pbs"
    pbs = registry.get("pbs")
    assert (pbs.cluster_string, pbs.batch_system) == ("dask_jobqueue::PBSCluster", "pbs")


def test_resolve_shows_a_pure_daskserver_on_a_pbs_cluster(
    plugin_site: pathlib.Path | None, home: pathlib.Path, rhl: RhlEnv
) -> None:
    env = command_env(plugin_site, home)
    argv = ("seamless-service-resolve", "--service", "pure-daskserver", "--cluster", "pbsc")
    result = rhl.run(*argv, env=env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["key"], shown["ssh_hostname"], shown["queue"]) == (
        "pure-daskserver-pbsc-workq",
        "pbs-login",
        "workq",
    )


def test_without_the_plugin_the_type_is_refused_in_one_line(
    plugin_site: pathlib.Path | None, home: pathlib.Path, rhl: RhlEnv
) -> None:
    env = command_env(plugin_site, home, **{plugins.ENV_PLUGINS: ""})
    result = rhl.run("seamless-service-resolve", "--service", "pure-daskserver", "--cluster", "pbsc", env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    clusters = home / ".seamless" / "clusters.yaml"
    assert result.stderr == (
        f"seamless-service-resolve: {clusters}: cluster 'pbsc': "
        "type: expected one of local, slurm, oar, got 'pbs'\n"
    )


def _ours(home: pathlib.Path, service: str, queue: str, node: bool) -> dict[str, Any]:
    """What our commands resolve; with ``node`` from the project whose seamless.yaml selects
    the cluster and a node."""
    project = "p" if service == "daskserver" else None
    workdir = home.parent / "proj" if node else None
    overrides = config.Overrides(queue=queue, project=project, cluster=None if node else "pbsc")
    loaded = config.load(workdir, overrides=overrides, read_command_files=node, environ={"HOME": str(home)})
    resolution = resolve(loaded, service)
    launcher_config = resolution.launcher_config
    return {
        "key": resolution.key,
        "cluster_string": launcher_config["cluster_string"],
        "parameters": launcher_config["file_parameters"],
        "port_range": port_range(launcher_config),
    }


PBS_CASES = [
    ("pbs-workq-dask", "daskserver", "workq", False),
    ("pbs-workq-pure", "pure-daskserver", "workq", False),
    ("pbs-whole-dask", "daskserver", "whole", False),
    ("pbs-whole-pure", "pure-daskserver", "whole", False),
    ("pbs-workq-pure-node", "pure-daskserver", "workq", True),
    ("pbs-whole-dask-node", "daskserver", "whole", True),
]


def test_its_job_scripts(with_plugin: None, home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    requests = [
        {"id": case_id, **_ours(home, service, queue, node)} for case_id, service, queue, node in PBS_CASES
    ]
    assert {r["cluster_string"] for r in requests} == {"dask_jobqueue::PBSCluster"}
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    scripts = run_wrapper(requests, log_dir)
    for case_id, *_ in PBS_CASES:
        assert "error" not in scripts[case_id], scripts[case_id]
        check_golden(case_id, scripts[case_id]["script"])
    lines = {case_id: scripts[case_id]["script"].splitlines() for case_id, *_ in PBS_CASES}
    assert "#PBS -l select=1:ncpus=4:mem=7630MB" in lines["pbs-workq-dask"]
    assert "#PBS -q workq" in lines["pbs-workq-dask"] and "#PBS -A acct7" in lines["pbs-workq-dask"]
    assert "#PBS -l place=excl" in lines["pbs-whole-pure"]
    assert "#PBS -l select=1:host=cn042:ncpus=4:mem=8GB" in lines["pbs-workq-pure-node"]
    assert "#PBS -l select=1:host=cn042:ncpus=1:mem=8GB" in lines["pbs-whole-dask-node"]
    assert "#PBS -l place=excl" in lines["pbs-whole-dask-node"]


def test_rhl_jobs_finds_its_batch_system(
    plugin_site: pathlib.Path | None, home: pathlib.Path, rhl: RhlEnv
) -> None:
    """rhl-jobs loads the adapter from the entry point; with no PBS client on PATH it says so."""
    env = command_env(plugin_site, home)
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}:/usr/bin:/bin"
    assert shutil.which("qstat", path=env["PATH"]) is None
    result = rhl.run("rhl-jobs", "--system", "pbs", "--port", "62001", env=env)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "rhl-jobs: qstat not found: "
        "is PBS (OpenPBS or PBS Pro client commands) installed on this host and on PATH?\n"
    )


def test_the_adapter_reads_a_qstat_listing(with_plugin: None) -> None:
    from seamless_example_pbs_jobs import parse_jobs

    listing = {
        "pbs_version": "2022.1.1",
        "Jobs": {
            "11.srv": {"Job_Name": "dask-worker", "Job_Owner": "svc@login", "job_state": "Q"},
            "12.srv": {
                "Job_Name": "dask-worker",
                "Job_Owner": "svc@login",
                "job_state": "R",
                "Submit_arguments": "/tmp/tmpa.sh",
            },
            "13.srv": {"Job_Name": "dask-worker", "Job_Owner": "svc@login", "job_state": "E"},
            "14.srv": {"Job_Name": "dask-worker", "Job_Owner": "svc@login", "job_state": "F"},
            "15.srv": {"Job_Name": "dask-worker", "Job_Owner": "other@login", "job_state": "R"},
        },
    }
    jobs = parse_jobs(json.dumps(listing), "svc")
    assert [(j.id, j.state, j.raw_state) for j in jobs] == [
        ("11.srv", "pending", "Q"),
        ("12.srv", "running", "R"),
        ("13.srv", "other", "E"),
    ]
    assert "/tmp/tmpa.sh" in (jobs[1].text or "")
    assert parse_jobs("", "svc") == []


def test_every_pbs_golden_file_belongs_to_a_case() -> None:
    found = {path.name for path in (pathlib.Path(__file__).resolve().parent / "golden").glob("pbs-*.sh")}
    assert found == {f"{case_id}.sh" for case_id, *_ in PBS_CASES}
