"""Fixtures and helpers of the configuration tests: a throw-away HOME and project
(:class:`World`, fixture ``world``), the spec's example cluster file, and a stand-in
service-type registry with the sections of spec §1.2 for when the built-in plugin module cannot
be loaded (yet; autouse fixture ``service_sections``).

Not a ``conftest.py``: other modules here do ``from conftest import ...`` and mean the one in
``tests/``. Test modules import the fixtures (registered under the names ``world`` and
``service_sections``): ``from configworld import service_sections_fixture, world_fixture``.
"""

from __future__ import annotations

import os
import pathlib
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from seamless_config_services import config, plugins
from seamless_config_services.errors import ConfigError
from seamless_config_services.model import Configuration
from seamless_config_services.services.base import ServiceType

#: Frontend section -> (required, optional) of spec §1.2.
SPEC_SECTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "hashserver": (("bufferdir",), ("conda", "network_interface", "port_start", "port_end")),
    "database": (("database_dir",), ("conda", "network_interface", "port_start", "port_end")),
    "jobserver": (("conda", "network_interface", "port_start", "port_end"), ()),
    "daskserver": (("network_interface", "port_start", "port_end"), ()),
}


class FakeRegistry:
    """What the config layer reads from :func:`plugins.service_types`: ``sections()``."""

    def __init__(self, types: list[ServiceType]) -> None:
        self.types = types

    def sections(self) -> dict[str, list[ServiceType]]:
        found: dict[str, list[ServiceType]] = {}
        for service_type in self.types:
            found.setdefault(service_type.section, []).append(service_type)
        return found


def make_type(name: str, section: str, required: tuple[str, ...], optional: tuple[str, ...]) -> ServiceType:
    service_type = ServiceType()
    service_type.name = name
    service_type.section = section
    service_type.section_required = required
    service_type.section_optional = optional
    return service_type


def spec_types() -> list[ServiceType]:
    types = [make_type(section, section, req, opt) for section, (req, opt) in SPEC_SECTIONS.items()]
    types.append(make_type("pure-daskserver", "daskserver", *SPEC_SECTIONS["daskserver"]))
    return types


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@dataclass
class World:
    """A HOME with ``.seamless/`` and a project directory (``project/sub`` below it)."""

    root: pathlib.Path
    home: pathlib.Path
    project: pathlib.Path

    @property
    def environ(self) -> dict[str, str]:
        return {"HOME": str(self.home), "PATH": os.environ.get("PATH", "")}

    def write(self, path: pathlib.Path, text: str) -> pathlib.Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
        return path

    def clusters(self, text: str, name: str | None = None) -> pathlib.Path:
        """``~/.seamless/clusters.yaml``, or ``~/.seamless/clusters/<name>``."""
        base = self.home / ".seamless"
        return self.write(base / "clusters" / name if name else base / "clusters.yaml", text)

    def commands(
        self, text: str, *, profile: bool = False, directory: pathlib.Path | None = None
    ) -> pathlib.Path:
        name = "seamless.profile.yaml" if profile else "seamless.yaml"
        return self.write((directory or self.project) / name, text)

    def load(
        self,
        workdir: pathlib.Path | None = None,
        *,
        read_command_files: bool = True,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Configuration:
        return config.load(
            workdir or self.project,
            overrides=config.Overrides(**overrides),
            read_command_files=read_command_files,
            environ=self.environ if environ is None else environ,
        )

    def example_clusters(self) -> pathlib.Path:
        return self.clusters(EXAMPLE_CLUSTERS)

    def error(self, workdir: pathlib.Path | None = None, **kwargs: Any) -> str:
        """The one-line message of the ConfigError that loading raises."""
        with pytest.raises(ConfigError) as info:
            self.load(workdir, **kwargs)
        message = str(info.value)
        assert "\n" not in message
        return message


#: The spec's example cluster file (§1.2).
EXAMPLE_CLUSTERS = """
    local_cluster: mylocal
    mylocal:
      type: local
      workers: 2
      frontends:
        - hashserver: {bufferdir: ~/buffers, network_interface: 127.0.0.1, port_start: 56100, port_end: 56199}
          database:   {database_dir: ~/dbdir, network_interface: 127.0.0.1,
                       port_start: 56200, port_end: 56299}
          jobserver:  {conda: seamless1, network_interface: 127.0.0.1, port_start: 56300, port_end: 56399}
    hpc:
      type: slurm
      tunnel: true
      frontends:
        - hostname: login.hpc.example
          ssh_hostname: hpc-login
          hashserver: {bufferdir: /scratch/buf, conda: hashserver, network_interface: 0.0.0.0,
                       port_start: 60100, port_end: 60199}
          database:   {database_dir: /scratch/db, conda: seamless-database}
          daskserver: {network_interface: 0.0.0.0, port_start: 60300, port_end: 60399}
      default_queue: default
      queues:
        default: {conda: seamless-dask, walltime: "01:00:00", cores: 16, memory: 32000MB,
                  maximum_jobs: 20, unknown_task_duration: 1m, target_duration: 10m}
        excl: {TEMPLATE: default, exclusive: true, cores: null, job-extra-directives: ["-A myacct"]}
"""


@pytest.fixture(autouse=True, name="service_sections")
def service_sections_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real registry when the built-in plugin loads, else the spec's sections."""
    try:
        plugins.service_types()
    except Exception:  # the built-in plugin module is not there (yet)
        monkeypatch.setattr(plugins, "service_types", lambda: FakeRegistry(spec_types()))


@pytest.fixture(name="world")
def world_fixture(tmp_path: pathlib.Path) -> Iterator[World]:
    for ancestor in tmp_path.parents:
        for name in config.COMMAND_FILES:
            if (ancestor / name).exists():
                pytest.skip(f"{ancestor / name} exists: the upward search would find it")
    home = tmp_path / "home"
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (home / ".seamless").mkdir(parents=True)
    yield World(root=tmp_path, home=home, project=project)
