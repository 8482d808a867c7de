"""The built-in service types: registry, sections, commands, meta, walks, key parsing."""

from __future__ import annotations

from typing import Any

import pytest
from modelkit import DASKSERVER, HASHSERVER, cluster, configuration, everything, frontend, queue

from remote_http_launcher.launch import templates
from seamless_config_services.errors import ConfigError
from seamless_config_services.plugins import schedulers, service_types
from seamless_config_services.resolve import resolve
from seamless_config_services.schedulers import scheduler_for
from seamless_config_services.services.base import KeyIdentity, PersistentWalk
from seamless_config_services.services.launcher_fields import META_FIELDS, STATUS_FILE, render_command
from seamless_config_services.services.naming import project_dir, stage_dir, stage_substage_dir, suffix

BUILTINS = ["hashserver", "database", "jobserver", "daskserver", "pure-daskserver"]


def test_builtins_are_registered_in_order() -> None:
    assert service_types().names()[:5] == BUILTINS
    assert {name: service_types().plugin_of[name] for name in BUILTINS} == dict.fromkeys(
        BUILTINS, "seamless_config_services.services.builtin"
    )


@pytest.mark.parametrize(
    ("name", "section", "required", "optional", "persistent"),
    [
        (
            "hashserver",
            "hashserver",
            ("bufferdir",),
            ("conda", "network_interface", "port_start", "port_end"),
            True,
        ),
        (
            "database",
            "database",
            ("database_dir",),
            ("conda", "network_interface", "port_start", "port_end"),
            True,
        ),
        ("jobserver", "jobserver", ("conda", "network_interface", "port_start", "port_end"), (), False),
        ("daskserver", "daskserver", ("network_interface", "port_start", "port_end"), (), False),
        ("pure-daskserver", "daskserver", ("network_interface", "port_start", "port_end"), (), False),
    ],
)
def test_sections_follow_the_spec_table(
    name: str, section: str, required: tuple[str, ...], optional: tuple[str, ...], persistent: bool
) -> None:
    service_type = service_types().get(name)
    assert (service_type.section, service_type.section_required, service_type.section_optional) == (
        section,
        required,
        optional,
    )
    assert service_type.persistent is persistent and service_type.clearable is persistent
    assert service_type.needs_queue is name.endswith("daskserver")
    assert service_type.needs_project is (name != "pure-daskserver")
    assert service_type.summary


@pytest.mark.parametrize("name", ["hashserver", "database"])
def test_ports_come_in_pairs(name: str) -> None:
    service_type = service_types().get(name)
    service_type.check_section({"port_start": 1, "port_end": 2})
    service_type.check_section({})
    with pytest.raises(ConfigError, match="'port_start' and 'port_end' must both be set or both be omitted"):
        service_type.check_section({"port_start": 1})


def test_fragments() -> None:
    assert project_dir("p", None) == project_dir("p", "") == "/p"
    assert project_dir("p", "a/b") == "/p/a/b"
    assert stage_dir(None) == stage_dir("") == ""
    assert stage_dir("s") == "/STAGE-s"
    assert stage_substage_dir("s", "g") == "/STAGE-sSUBSTAGE-g"
    assert stage_substage_dir(None, "g") == stage_substage_dir("", "g") == ""
    assert stage_substage_dir("s", "") == "/STAGE-s"
    assert suffix("/p/a/b/STAGE-s") == "p--a--b--STAGE-s"
    assert suffix("/p/") == "p"


def test_rendered_words_come_out_of_the_launcher_unchanged() -> None:
    """Values are literals for the launcher's f-string evaluation: braces, quotes and
    expressions stay text (weak point 21); only ``{status_file}`` is filled in."""
    hostile = ['{__import__("os")}', "a}b{c", "{{x}}", "'\"", "{status_file}"]
    command = render_command("prog", *hostile, "--status-file", STATUS_FILE)
    evaluated = templates.evaluate(command, {"status_file": "/s.json"}, field="command")
    assert evaluated == " ".join(["prog", *hostile, "--status-file", "/s.json"])


def _launcher_config(service: str, **selection: Any) -> dict[str, Any]:
    queues = (queue("q", conda="dask", cores=2),)
    clusters = cluster("c", everything(), type="slurm", workers=3, default_queue="q", queues=queues)
    return resolve(configuration(clusters, local="c", **selection), service).launcher_config


@pytest.mark.parametrize("service", BUILTINS)
def test_meta_is_always_in_the_launcher_config(service: str) -> None:
    config = _launcher_config(service, project="p", stage="s", substage="g", mode="ro")
    assert tuple(config["meta"]) == META_FIELDS
    assert config["meta"]["service"] == service and config["meta"]["cluster"] == "c"
    assert "{status_file}" in config["command"]
    assert "hostname" not in config and "tunnel" not in config  # the local cluster: no SSH


@pytest.mark.parametrize(
    ("service", "mode", "substage", "queue_"),
    [
        ("hashserver", "ro", None, None),
        ("database", "ro", None, None),
        ("jobserver", "rw", "g", None),
        ("daskserver", "rw", "g", "q"),
        ("pure-daskserver", None, None, "q"),
    ],
)
def test_meta_is_what_the_key_depends_on(service: str, mode: str, substage: str, queue_: str) -> None:
    meta = _launcher_config(service, project="p", stage="s", substage="g", mode="ro", queue="q")["meta"]
    staged = service != "pure-daskserver"
    assert meta == {
        "service": service,
        "cluster": "c",
        "mode": mode,
        "project": "p" if staged else None,
        "subproject": None,
        "stage": "s" if staged else None,
        "substage": substage,
        "queue": queue_,
    }
    assert _launcher_config(service, project="p", substage="g")["meta"]["substage"] is None


def test_persistent_walks() -> None:
    front = everything()
    assert service_types().get("hashserver").persistent_walks(front) == [
        PersistentWalk(root="~/buffers", level=2, file=None, marker=".HASHSERVER_PREFIX")
    ]
    assert service_types().get("database").persistent_walks(front) == [
        PersistentWalk(root="~/db", level=2, file="seamless.db", marker="seamless.db")
    ]
    for name in ("jobserver", "daskserver", "pure-daskserver"):
        assert service_types().get(name).persistent_walks(front) == []
    assert service_types().get("database").persistent_walks(frontend(hashserver=HASHSERVER)) == []


PARSED: list[tuple[str, tuple[str, ...], KeyIdentity | None]] = [
    ("hashserver-c-rw-p", (), KeyIdentity("hashserver", "c", "rw", "p")),
    ("database-c-ro-p--a--b--STAGE-s", (), KeyIdentity("database", "c", "ro", "p", "a/b", "s")),
    (
        "jobserver-c-rw-p--STAGE-fingSUBSTAGE-gpu",
        (),
        KeyIdentity("jobserver", "c", "rw", "p", None, "fing", "gpu"),
    ),
    ("daskserver-c-rw-p--s--STAGE-xSUBSTAGE-y", (), KeyIdentity("daskserver", "c", "rw", "p", "s", "x", "y")),
    ("hashserver-c-rw-p---STAGE-s", (), KeyIdentity("hashserver", "c", "rw", "p-", None, "s")),
    # the earliest mode marker ends the cluster name (0.3.2 took the first "-rw-")
    ("hashserver-c-ro-p-rw-x", (), KeyIdentity("hashserver", "c", "ro", "p-rw-x")),
    # a known cluster whose name contains a mode marker
    ("hashserver-my-ro-cl-rw-p", ("my-ro-cl",), KeyIdentity("hashserver", "my-ro-cl", "rw", "p")),
    ("hashserver-my-ro-cl-rw-p", (), KeyIdentity("hashserver", "my", "ro", "cl-rw-p")),
    (
        "hashserver-__SEAMLESS_CACHE__-rw-__TOPLEVEL__",
        (),
        KeyIdentity("hashserver", "__SEAMLESS_CACHE__", "rw", "__TOPLEVEL__"),
    ),
    ("pure-daskserver-hpc-default", (), KeyIdentity("pure-daskserver", "hpc", queue="default")),
    ("pure-daskserver-hpc-gpu-long", ("hpc",), KeyIdentity("pure-daskserver", "hpc", queue="gpu-long")),
    ("pure-daskserver-hpc-gpu-long", (), KeyIdentity("pure-daskserver", "hpc-gpu", queue="long")),
    ("pure-daskserver-a-b-q", ("a", "a-b"), KeyIdentity("pure-daskserver", "a-b", queue="q")),
    ("jobserver-c-ro-p", (), None),  # jobservers are always rw
    ("pure-daskserver-x", (), None),
    ("hashserver-nomode", (), None),
    ("something-else", (), None),
]


@pytest.mark.parametrize(
    ("key", "known", "identity"), PARSED, ids=[f"{k}|{','.join(c)}" for k, c, _ in PARSED]
)
def test_parse_key(key: str, known: tuple[str, ...], identity: KeyIdentity | None) -> None:
    from seamless_config_services.identity import parse_key

    assert parse_key(key, known) == identity


def test_schedulers() -> None:
    assert {name: s.cluster_string for name, s in schedulers().by_name.items()} == {
        "local": "distributed::LocalCluster",
        "slurm": "dask_jobqueue::SLURMCluster",
        "oar": "dask_jobqueue::OARCluster",
    }
    with pytest.raises(ConfigError, match="cluster 'x' has no 'type'"):
        scheduler_for(cluster("x", frontend(daskserver=DASKSERVER)), "daskserver")
    with pytest.raises(ConfigError, match="cluster 'x' has type 'pbs'"):
        scheduler_for(cluster("x", frontend(daskserver=DASKSERVER), type="pbs"), "daskserver")


def test_pure_daskserver_on_exclusive_slurm_queue_is_exclusive() -> None:
    """weak point 9: 0.3.2 passed neither ``exclusive`` nor ``--exclusive``."""
    queues = (
        queue("whole", exclusive=True, memory="1G", job_extra_directives=["-A a"]),
        queue("sized", exclusive=True, cores=8),
    )
    hpc = cluster("hpc", everything("login"), type="slurm", queues=queues)
    whole = resolve(configuration(hpc, queue="whole"), "pure-daskserver").launcher_config["file_parameters"]
    assert whole["exclusive"] is True and whole["job_extra_directives"] == ["-A a", "--exclusive"]
    assert "cores" not in whole
    sized = resolve(configuration(hpc, queue="sized"), "pure-daskserver").launcher_config["file_parameters"]
    assert sized["exclusive"] is True and sized["cores"] == 8 and "job_extra_directives" not in sized
