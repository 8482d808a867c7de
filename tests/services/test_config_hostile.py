"""Configuration and client state that used to mislead or hang the commands.

* duplicate YAML keys are errors with file and line (issue 13 point 12);
* a FIFO (or another non-regular file) where a configuration file or a client connection
  file belongs never hangs a command (issue 13 point 8, client side);
* ``conda: null`` is accepted as seamless-config 0.3.2's runtime accepts it (issue 15
  point 5): "no activation", never "missing".
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest
import yaml
from project_support import Project, table

HEADER = ["SERVICE", "PROJECT", "STAGE", "PROCESS", "PORT", "PERSISTENT", "SIZE"]
#: A hang shows as a timeout well before the test's own budget.
PROMPT = 30


# -- duplicate keys -----------------------------------------------------------------------------


def test_duplicate_cluster_is_an_error_with_file_and_line(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)
    clusters = project.home / ".seamless" / "clusters.yaml"
    clusters.write_text(
        "local_cluster: here\n"
        "local:\n"
        "  type: local\n"
        "  frontends: [{hashserver: {bufferdir: /srv/one}}]\n"
        "here:\n"
        "  type: local\n"
        "  frontends: [{hashserver: {bufferdir: /srv/here}}]\n"
        "local:\n"
        "  type: local\n"
        "  frontends: [{hashserver: {bufferdir: /srv/two}}]\n"
    )
    for argv in (
        ("seamless-service-ps", "--server"),
        ("seamless-service-resolve", "--service", "hashserver", "--cluster", "local", "--project", "p"),
        ("seamless-service-ps",),
    ):
        result = project.run(*argv, timeout=PROMPT)
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            "",
            f"{argv[0]}: {clusters}: line 8, column 1: invalid YAML: duplicate key 'local' "
            "(first written at line 2)\n",
        ), argv


def test_duplicate_key_in_a_flow_mapping_of_a_command_file(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)
    (project.dir / "seamless.yaml").write_text("- {project: p, project: q}\n")
    result = project.run("seamless-service-resolve", "--service", "hashserver", timeout=PROMPT)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"seamless-service-resolve: {project.dir}/seamless.yaml: line 1, column 16: invalid YAML: "
        "duplicate key 'project' (first written at line 1)\n",
    )
    # A nested duplicate in the profile, and a YAML merge that overrides a key (not a duplicate).
    (project.dir / "seamless.yaml").write_text("- project: myproj\n")
    profile = project.dir / "seamless.profile.yaml"
    profile.write_text("- cluster: here\n- clusters:\n    c:\n      type: local\n      type: slurm\n")
    result = project.run("seamless-service-ps", timeout=PROMPT)
    assert (result.returncode, result.stderr) == (
        1,
        f"seamless-service-ps: {profile}: line 5, column 7: invalid YAML: duplicate key 'type' "
        "(first written at line 4)\n",
    )
    clusters = project.home / ".seamless" / "clusters.yaml"
    bufferdir = project.clusters["here"]["frontends"][0]["hashserver"]["bufferdir"]
    clusters.write_text(
        "local_cluster: here\n"
        "here:\n"
        "  type: local\n"
        "  frontends:\n"
        "    - hashserver: {<<: {bufferdir: /srv/base, network_interface: 127.0.0.1}, "
        f"bufferdir: {bufferdir}}}\n"
    )
    profile.write_text("- cluster: here\n")
    merged = project.run("seamless-service-resolve", "--service", "hashserver", timeout=PROMPT)
    assert merged.returncode == 0, merged
    assert merged.json_lines()[0]["workdir"] == f"{bufferdir}/myproj"


# -- FIFOs and other non-regular files ------------------------------------------------------------


def _fifo(path: pathlib.Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


@pytest.mark.parametrize("where", ["clusters.yaml", "seamless.yaml", "seamless.profile.yaml"])
def test_a_fifo_configuration_file_is_an_error_at_once(tmp_path: pathlib.Path, where: str) -> None:
    project = Project(tmp_path)
    path = project.home / ".seamless" / where if where == "clusters.yaml" else project.dir / where
    _fifo(path)
    for argv in (
        ("seamless-service-ps",),
        ("seamless-service-ps", "--server", "--cluster", "here"),
        ("seamless-service-resolve", "--service", "hashserver", "--cluster", "here", "--project", "p"),
        ("seamless-service-stop", "--cluster", "here"),
    ):
        try:
            result = project.run(*argv, timeout=PROMPT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{' '.join(argv)} hung on a FIFO at {path}")
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            "",
            f"{argv[0]}: {path}: not a regular file (a FIFO)\n",
        ), argv
    # A directory in its place says so too.
    path.unlink()
    path.mkdir()
    result = project.run("seamless-service-ps", "--server", "--cluster", "here", timeout=PROMPT)
    assert result.stderr == f"seamless-service-ps: {path}: cannot read the file (Is a directory)\n"


def test_a_fifo_connection_file_is_a_corrupt_row(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)
    client = project.state / "client"
    client.mkdir(parents=True, exist_ok=True)
    good = {
        "key": "hashserver-here-rw-myproj",
        "hostname": "localhost",
        "port": 5123,
        "meta": {"service": "hashserver", "cluster": "here", "mode": "rw", "project": "myproj"},
    }
    (client / "hashserver-here-rw-myproj.json").write_text(json.dumps(good))
    _fifo(client / "jam.json")
    try:
        result = project.run("seamless-service-ps", "--wide", timeout=PROMPT)
        as_json = project.run("seamless-service-ps", "--json", timeout=PROMPT)
    except subprocess.TimeoutExpired:
        pytest.fail("seamless-service-ps hung on a FIFO connection file")
    assert result.returncode == 0, result
    rows = {row[-1]: row for row in table(result.stdout)[1:]}
    assert rows["jam"][6] == "corrupt"
    assert rows["hashserver-here-rw-myproj"][1:8] == [
        "hashserver",
        "rw",
        "myproj",
        "-",
        "-",
        "client",
        "5123",
    ]
    corrupt = [row for row in as_json.json_lines() if row["key"] == "jam"]
    assert [row["process"] for row in corrupt] == ["corrupt"]


# -- conda: null ---------------------------------------------------------------------------------


def jobserver_section(**fields: object) -> dict[str, object]:
    return {"conda": None, "network_interface": "127.0.0.1", "port_start": 5600, "port_end": 5699, **fields}


def test_conda_null_is_no_activation_not_missing(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)
    project.clusters["here"]["workers"] = 2
    project.clusters["here"]["frontends"][0]["jobserver"] = jobserver_section()
    project.write_clusters()
    for argv in (
        ("seamless-service-ps", "--server"),
        ("seamless-service-ps", "--cluster", "here"),
        ("seamless-service-stop", "--cluster", "here"),
        ("seamless-service-rm", "--cluster", "here"),
        ("seamless-service-stop", "--service", "jobserver"),
    ):
        result = project.run(*argv, timeout=PROMPT)
        assert (result.returncode, result.stderr) == (0, ""), (argv, result)
    assert table(project.ok("seamless-service-ps", "--server").stdout) == [HEADER]
    resolved = project.ok("seamless-service-resolve", "--service", "jobserver").json_lines()[0]
    assert resolved["key"] == "jobserver-here-rw-myproj"

    clusters = project.home / ".seamless" / "clusters.yaml"
    # Truly missing: "missing". Null where null means nothing: what it must be, never "missing".
    no_conda = {k: v for k, v in jobserver_section().items() if k != "conda"}
    js = "frontends[0].jobserver"
    cases = [
        (no_conda, f"{js}: missing required field 'conda'"),
        (jobserver_section(port_start=None), f"{js}.port_start: expected an integer, got null"),
        (jobserver_section(network_interface=None), f"{js}.network_interface: expected a string, got null"),
    ]
    for section, message in cases:
        project.clusters["here"]["frontends"][0]["jobserver"] = section
        project.write_clusters()
        result = project.run("seamless-service-ps", "--server", timeout=PROMPT)
        assert (result.returncode, result.stderr) == (
            1,
            f"seamless-service-ps: {clusters}: cluster 'here': {message}\n",
        )


def test_conda_null_launcher_config_is_the_runtimes(tmp_path: pathlib.Path) -> None:
    """seamless-config 0.3.2 (the reference venv) and we compute the same launcher config for a
    jobserver with ``conda: null``: ``conda`` is null, which the launcher reads as "start the
    service without activating an environment"."""
    from reference_sc import ensure_reference_sc_venv
    from test_golden import DRIVER, STATUS_FILE

    from remote_http_launcher import Configuration as LauncherConfiguration
    from seamless_config_services import config
    from seamless_config_services.resolve import resolve

    home = tmp_path / "home"
    (home / ".seamless").mkdir(parents=True)
    clusters = {
        "local_cluster": "here",
        "here": {"type": "local", "workers": 2, "frontends": [{"jobserver": jobserver_section()}]},
        "far": {"workers": 3, "frontends": [{"hostname": "far.example", "jobserver": jobserver_section()}]},
        # A queue with conda: null (the Dask services take conda from the queue).
        "dq": {
            "type": "local",
            "workers": 2,
            "frontends": [
                {"daskserver": {"network_interface": "127.0.0.1", "port_start": 5700, "port_end": 5799}}
            ],
            "default_queue": "q",
            "queues": {
                "q": {"conda": None, "walltime": "00:30:00", "memory": "4GB", "cores": 4, "maximum_jobs": 3}
            },
        },
    }
    (home / ".seamless" / "clusters.yaml").write_text(yaml.safe_dump(clusters))
    argvs = {
        name: ["--service", "jobserver", "--cluster", name, "--project", "p"] for name in ("here", "far")
    }
    argvs["dq"] = ["--service", "daskserver", "--cluster", "dq", "--project", "p"]
    services = {"here": "jobserver", "far": "jobserver", "dq": "daskserver"}
    payload = [
        {
            "id": name,
            "argv": argv,
            "env": {"HOME": str(home)},
            "cwd": str(tmp_path),
            "status_file": STATUS_FILE,
        }
        for name, argv in argvs.items()
    ]
    proc = subprocess.run(
        [str(ensure_reference_sc_venv()), str(DRIVER)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    reference = {r["id"]: r["dispatch"] for r in map(json.loads, proc.stdout.splitlines())}
    for name in argvs:
        wanted = reference[name]
        assert "error" not in wanted, wanted
        assert wanted["config"]["conda"] is None
        ours = resolve(
            config.load(
                None,
                overrides=config.Overrides(cluster=name, project="p"),
                read_command_files=False,
                environ={"HOME": str(home)},
            ),
            services[name],
        )
        mine = dict(ours.launcher_config)
        assert mine["conda"] is None and mine["key"] == wanted["key"]
        # The launcher takes it, with no environment to activate.
        assert LauncherConfiguration.from_mapping(mine).conda is None
        if services[name] == "daskserver":
            continue  # (its other fields differ on purpose: weak point 8, test_golden.py)
        for field in (
            "conda",
            "network_interface",
            "port_start",
            "port_end",
            "workers",
            "workdir",
            "timeout",
        ):
            assert mine[field] == wanted["config"][field], field
        assert LauncherConfiguration.from_mapping(mine).command_string(STATUS_FILE) == wanted["command"]


def test_a_fifo_in_the_ps_cache_is_not_waited_for(tmp_path: pathlib.Path) -> None:
    """The commands keep the parsed configuration files and ps's plan in
    ~/.cache/seamless-config-services: a FIFO put in the place of an entry is skipped (and
    replaced), never read from."""
    project = Project(tmp_path)
    first = project.ok("seamless-service-ps", "--server", timeout=PROMPT)
    entries = sorted((project.home / ".cache" / "seamless-config-services").glob("*.marshal"))
    assert len(entries) == 4  # clusters.yaml, seamless.yaml, seamless.profile.yaml; the plan
    for entry in entries:
        _fifo(entry)
    try:
        again = project.run("seamless-service-ps", "--server", timeout=PROMPT)
    except subprocess.TimeoutExpired:
        pytest.fail("seamless-service-ps --server hung on a FIFO cache entry")
    assert again == first
    assert all(entry.is_file() for entry in entries)
