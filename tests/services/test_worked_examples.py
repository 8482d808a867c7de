"""The worked examples of keys and workdirs (spec §2.2), checked as written.

``CLUSTERS_YAML`` and ``TABLE`` are meant to be copied into the documentation verbatim: the
test parses the table's own text (inputs, key, workdir) and resolves each row against the
example cluster file, through the real configuration loader.
"""

# ruff: noqa: E501 - the example file and the table are kept verbatim, for the docs

from __future__ import annotations

import pathlib
import re

import pytest

from seamless_config_services import config
from seamless_config_services.resolve import resolve

CLUSTERS_YAML = """\
local_cluster: mylocal
mylocal:
  type: local
  workers: 2
  frontends:
    - hashserver: {bufferdir: ~/buffers, network_interface: 127.0.0.1, port_start: 56100, port_end: 56199}
      database:   {database_dir: ~/dbdir, network_interface: 127.0.0.1, port_start: 56200, port_end: 56299}
      jobserver:  {conda: seamless1, network_interface: 127.0.0.1, port_start: 56300, port_end: 56399}
hpc:
  type: slurm
  tunnel: true
  frontends:
    - hostname: login.hpc.example
      ssh_hostname: hpc-login
      hashserver: {bufferdir: /scratch/buf, conda: hashserver, network_interface: 0.0.0.0, port_start: 60100, port_end: 60199}
      database:   {database_dir: /scratch/db, conda: seamless-database}
      daskserver: {network_interface: 0.0.0.0, port_start: 60300, port_end: 60399}
  default_queue: default
  queues:
    default: {conda: seamless-dask, walltime: "01:00:00", cores: 16, memory: 32000MB,
              maximum_jobs: 20, unknown_task_duration: 1m, target_duration: 10m}
    excl: {TEMPLATE: default, exclusive: true, cores: null, job-extra-directives: ["-A myacct"]}
"""

TABLE = """\
| Inputs | Key | Workdir |
|---|---|---|
| hashserver, C=`mylocal`, p=`myproj` | `hashserver-mylocal-rw-myproj` | `~/buffers/myproj` |
| hashserver, C=`mylocal`, p=`myproj`, sp=`sub/x`, st=`s1` | `hashserver-mylocal-rw-myproj--sub--x--STAGE-s1` | `~/buffers/myproj/sub/x/STAGE-s1` |
| database, C=`hpc`, p=`myproj`, st=`s1`, m=`ro` | `database-hpc-ro-myproj--STAGE-s1` | `/scratch/db/myproj/STAGE-s1` (file `…/seamless.db`) |
| jobserver, C=`mylocal`, p=`myproj`, st=`s1`, ss=`gpu` | `jobserver-mylocal-rw-myproj--STAGE-s1SUBSTAGE-gpu` | `/tmp` |
| jobserver, C=`mylocal`, p=`p`, ss=`x` (no stage) | `jobserver-mylocal-rw-p` | `/tmp` |
| daskserver, C=`hpc`, p=`myproj`, st=`s1`, ss=`gpu` | `daskserver-hpc-rw-myproj--STAGE-s1SUBSTAGE-gpu` | `/tmp` |
| pure-daskserver, C=`hpc` (default queue `default`) | `pure-daskserver-hpc-default` | `/tmp` |
| pure-daskserver, C=`hpc`, queue `excl` | `pure-daskserver-hpc-excl` | `/tmp` |
| hashserver in SEAMLESS_CACHE mode, C=`<cache>` | `hashserver-__SEAMLESS_CACHE__-rw-__TOPLEVEL__` | `<cache>/__TOPLEVEL__` |
| database in SEAMLESS_CACHE mode, st=`s` | `database-__SEAMLESS_CACHE__-rw-__TOPLEVEL__--STAGE-s` | `<cache>/__TOPLEVEL__/STAGE-s` |
"""

#: The table's input abbreviations -> Overrides fields.
ABBREVIATIONS = {
    "C": "cluster",
    "p": "project",
    "sp": "subproject",
    "st": "stage",
    "ss": "substage",
    "m": "mode",
}


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in TABLE.splitlines()[2:]:
        inputs, key, workdir = (cell.strip() for cell in line.strip("|").split(" | "))
        rows.append((inputs, key.strip("`"), re.findall(r"`([^`]*)`", workdir)[0]))
    return rows


@pytest.mark.parametrize(("inputs", "key", "workdir"), _rows(), ids=[row[1] for row in _rows()])
def test_worked_example(inputs: str, key: str, workdir: str, tmp_path: pathlib.Path) -> None:
    (tmp_path / ".seamless").mkdir()
    (tmp_path / ".seamless" / "clusters.yaml").write_text(CLUSTERS_YAML)
    env = {"HOME": str(tmp_path)}
    fields = {ABBREVIATIONS[name]: value for name, value in re.findall(r"\b(\w+)=`([^`]*)`", inputs)}
    explicit_queue = re.search(r"(?<!default )queue `([^`]*)`", inputs)
    if explicit_queue:
        fields["queue"] = explicit_queue.group(1)
    cache = tmp_path / "cache"
    if "SEAMLESS_CACHE mode" in inputs:
        env["SEAMLESS_CACHE"] = str(cache)
        fields.pop("cluster", None)  # C=`<cache>` names the directory, not a cluster
        workdir = workdir.replace("<cache>", str(cache))
    service = inputs.split(",")[0].split()[0]
    configuration = config.load(
        None, overrides=config.Overrides(**fields), read_command_files=False, environ=env
    )
    resolution = resolve(configuration, service)
    assert (resolution.key, resolution.workdir) == (key, workdir)
    if service == "database":
        assert resolution.launcher_config["command"].endswith(f" {workdir}/seamless.db")


def test_table_has_every_service() -> None:
    services = {row[0].split(",")[0].split()[0] for row in _rows()}
    assert services == {"hashserver", "database", "jobserver", "daskserver", "pure-daskserver"}
