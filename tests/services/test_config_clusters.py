"""Cluster files (spec §1.2): merge order, defaults, queues, and one line per mistake.

Every mistake names the file, the cluster and the field. Validation happens when a cluster is
used: a broken definition only breaks the commands that use it.
"""

from __future__ import annotations

from typing import Any

import pytest
from configworld import (  # noqa: F401
    EXAMPLE_CLUSTERS,
    FakeRegistry,
    World,
    make_type,
    service_sections_fixture,
    spec_types,
    world_fixture,
)

from seamless_config_services import config, plugins
from seamless_config_services.errors import ConfigError
from seamless_config_services.model import Cluster

GOOD_FRONTEND = "{hostname: h, hashserver: {bufferdir: /b}}"
#: What the built-in schedulers fill in for the fields a queue leaves out (the Dask wrapper's
#: own defaults; ``unknown_task_duration`` and ``target_duration`` as well).
DEFAULTS: dict[str, Any] = {
    "exclusive": False,
    "interactive": False,
    "tmpdir": "/tmp",
    "unknown_task_duration": "1m",
    "target_duration": "10m",
    "lifetime_stagger": "4m",
}
#: The fields every batch queue must have, for queues whose other fields a test is about.
W = "walltime: '01:00:00', memory: 1GB"


def cluster(world: World, name: str) -> Cluster:
    return world.load(read_command_files=False).clusters.clusters[name]


def cluster_error(world: World, name: str) -> str:
    clusters = world.load(read_command_files=False).clusters.clusters
    with pytest.raises(ConfigError) as info:
        clusters[name]
    message = str(info.value)
    assert "\n" not in message
    return message


# -- what a valid file gives ------------------------------------------------------------------


def test_the_spec_example(world: World) -> None:
    path = world.example_clusters()
    configuration = world.load(read_command_files=False)
    assert configuration.cluster_files == (str(path),)
    assert configuration.clusters.local_cluster == "mylocal"
    assert list(configuration.clusters.clusters) == ["mylocal", "hpc"]
    local = configuration.clusters.clusters["mylocal"]
    assert (local.type, local.tunnel, local.workers, local.source) == ("local", False, 2, str(path))
    assert local.frontends[0].hostname == "localhost"  # the default, for type local only
    assert local.frontends[0].ssh_hostname is None
    assert local.frontends[0].sections["jobserver"] == {
        "conda": "seamless1",
        "network_interface": "127.0.0.1",
        "port_start": 56300,
        "port_end": 56399,
    }
    hpc = configuration.clusters.clusters["hpc"]
    assert (hpc.type, hpc.tunnel, hpc.workers, hpc.default_queue) == ("slurm", True, None, "default")
    assert (hpc.frontends[0].hostname, hpc.frontends[0].ssh_target) == ("login.hpc.example", "hpc-login")
    assert hpc.frontends[0].sections["database"] == {
        "database_dir": "/scratch/db",
        "conda": "seamless-database",
    }
    assert set(hpc.frontends[0].sections) == {"hashserver", "database", "daskserver"}
    # What was written (after TEMPLATE, nulls dropped), plus the scheduler's defaults for the
    # fields left out (weak point 8: 0.3.2 left them out).
    assert hpc.queues["default"].fields == {
        "conda": "seamless-dask",
        "walltime": "01:00:00",
        "cores": 16,
        "memory": "32000MB",
        "maximum_jobs": 20,
        "unknown_task_duration": "1m",
        "target_duration": "10m",
        **DEFAULTS,
    }
    assert hpc.queues["excl"].fields == {
        "conda": "seamless-dask",
        "walltime": "01:00:00",
        "memory": "32000MB",
        "maximum_jobs": 20,
        "unknown_task_duration": "1m",
        "target_duration": "10m",
        **DEFAULTS,
        "exclusive": True,
        "job_extra_directives": ["-A myacct"],
    }
    assert configuration.is_local("mylocal") and not configuration.is_local("hpc")


def test_queue_fields_dashes_templates_and_erasing(world: World) -> None:
    world.clusters(
        """
        c:
          type: oar
          memory_per_core_property_name: memcore
          frontends: [{hostname: h}]
          queues:
            base: {cores: 4, job-cores: 2, extra-dask-config: {distributed.x: "1"}, worker_threads: 3,
                   dask_resources: {GPU: 1}, lifetime: 3600, tmpdir: /scratch, walltime: '01:00:00',
                   memory: 4GB}
            child: {TEMPLATE: base, job_cores: null, job-script-prologue: ["module load x"], partition: p}
            grandchild: {TEMPLATE: child, cores: 8, tmpdir: null}
            whole: {TEMPLATE: base, exclusive: true, job_cores: null, cores: null}
        """
    )
    queues = cluster(world, "c").queues
    assert cluster(world, "c").memory_per_core_property_name == "memcore"
    written = {"walltime": "01:00:00", "memory": "4GB"}
    assert queues["base"].fields == {
        **DEFAULTS,
        "cores": 4,
        "job_cores": 2,
        "extra_dask_config": {"distributed.x": "1"},
        "worker_threads": 3,
        "dask_resources": {"GPU": 1},
        "lifetime": 3600,
        "tmpdir": "/scratch",
        **written,
    }
    assert queues["child"].fields == {
        **DEFAULTS,
        "cores": 4,
        "extra_dask_config": {"distributed.x": "1"},
        "worker_threads": 3,
        "dask_resources": {"GPU": 1},
        "lifetime": 3600,
        "tmpdir": "/scratch",
        **written,
        "job_script_prologue": ["module load x"],
        "partition": "p",
    }
    assert queues["grandchild"].fields["cores"] == 8 and queues["grandchild"].name == "grandchild"
    # The null erases the inherited /scratch; the default comes back.
    assert queues["grandchild"].fields["tmpdir"] == "/tmp"
    assert queues["whole"].fields["exclusive"] is True and "cores" not in queues["whole"].fields


def test_local_cluster_queues_need_no_cores_unless_exclusive(world: World) -> None:
    world.clusters("l: {type: local, frontends: [{}], queues: {q: {walltime: '00:10:00', memory: 1GB}}}")
    assert cluster(world, "l").queues["q"].fields == {**DEFAULTS, "walltime": "00:10:00", "memory": "1GB"}


def test_empty_sections_and_files(world: World) -> None:
    world.clusters("")  # empty clusters.yaml: no clusters
    world.clusters("", name="empty.yaml")
    world.clusters(
        "c: {type: local, frontends: [{daskserver: {network_interface: lo, port_start: 1, port_end: 2}}]}",
        name="c.yaml",
    )
    configuration = world.load(read_command_files=False)
    assert list(configuration.clusters.clusters) == ["c"]
    assert configuration.clusters.local_cluster is None
    assert len(configuration.cluster_files) == 3


# -- merge order ------------------------------------------------------------------------------


def test_cluster_files_merge_in_sorted_order_whole_definitions(world: World) -> None:
    world.clusters(
        f"x: {{type: slurm, tunnel: true, frontends: [{GOOD_FRONTEND}]}}\n"
        "only_main: {type: local, frontends: [{}]}"
    )
    # Written b first, then a: the order of the directory does not matter, the names do.
    world.clusters("x: {type: local, frontends: [{hostname: from-b}]}", name="b.yaml")
    world.clusters("x: {type: oar, frontends: [{hostname: from-a}]}\nlocal_cluster: x", name="a.yaml")
    world.clusters("x: {type: oar, frontends: [{hostname: ignored}]}", name="notes.yml")  # not *.yaml
    configuration = world.load(read_command_files=False)
    x = configuration.clusters.clusters["x"]
    assert (x.type, x.frontends[0].hostname, x.tunnel) == ("local", "from-b", False)  # replaced, not merged
    assert x.source == str(world.home / ".seamless" / "clusters" / "b.yaml")
    assert configuration.clusters.local_cluster == "x"
    assert configuration.cluster_files == tuple(
        str(p)
        for p in (
            world.home / ".seamless" / "clusters.yaml",
            world.home / ".seamless" / "clusters" / "a.yaml",
            world.home / ".seamless" / "clusters" / "b.yaml",
        )
    )
    assert "only_main" in configuration.clusters.clusters


def test_inline_clusters_replace_file_definitions(world: World) -> None:
    world.example_clusters()
    world.commands(
        """
        - clusters:
            hpc: {type: local, frontends: [{hostname: inline}]}
            local_cluster: hpc
        """,
        profile=True,
    )
    configuration = world.load()
    assert configuration.clusters.clusters["hpc"].frontends[0].hostname == "inline"
    assert configuration.clusters.clusters["hpc"].source == str(world.project / "seamless.profile.yaml")
    assert configuration.clusters.local_cluster == "hpc"
    assert configuration.clusters.clusters["mylocal"].workers == 2


# -- lazy validation --------------------------------------------------------------------------


def test_a_broken_cluster_only_breaks_its_users(world: World) -> None:
    path = world.example_clusters()
    world.clusters("broken: {type: pbs, frontends: []}\nalso_broken: 5", name="z.yaml")
    world.commands("- cluster: hpc\n- queue: excl\n- project: p", profile=True)
    configuration = world.load()
    assert configuration.cluster().name == "hpc"
    assert set(configuration.clusters.clusters) == {"mylocal", "hpc", "broken", "also_broken"}
    assert "broken" in configuration.clusters.clusters
    z = world.home / ".seamless" / "clusters" / "z.yaml"
    message = f"{z}: cluster 'broken': type: expected one of local, slurm, oar, got 'pbs'"
    for _ in range(2):  # the cached error is raised again
        with pytest.raises(ConfigError) as info:
            configuration.cluster("broken")
        assert str(info.value) == message
    # ps --all-clusters: every cluster with its result, nothing raised.
    outcomes = dict(config.iter_clusters(configuration.clusters))
    assert isinstance(outcomes["hpc"], Cluster) and isinstance(outcomes["mylocal"], Cluster)
    assert str(outcomes["broken"]) == message
    assert [str(e) for e in config.validate_all(configuration.clusters)] == [
        message,
        f"{z}: cluster 'also_broken': expected a mapping (the cluster definition), got 5",
    ]
    assert config.validate_all(config.load_clusters(world.environ))[0].file == str(z)
    assert path.exists()


def test_a_dangling_local_cluster_is_reported_when_a_cluster_is_used(world: World) -> None:
    path = world.clusters("local_cluster: mylocl\nmylocal: {type: local, frontends: [{}]}")
    world.commands("- project: p", profile=True)
    configuration = world.load()  # nothing used yet: loading works
    assert configuration.selection.project == "p"
    message = f"{path}: local_cluster: 'mylocl' is not a defined cluster (clusters: mylocal)"
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        configuration.cluster("mylocal")
    assert [str(e) for e in config.validate_all(configuration.clusters)] == [message]
    assert dict(config.iter_clusters(configuration.clusters))["mylocal"].name == "mylocal"  # type: ignore[union-attr]


def test_unknown_cluster_is_a_one_line_error(world: World) -> None:
    world.example_clusters()
    configuration = world.load(cluster="nope")
    with pytest.raises(ConfigError) as info:
        configuration.cluster()
    assert str(info.value) == "unknown cluster 'nope' (known: hpc, mylocal)"


# -- mistakes ---------------------------------------------------------------------------------

HS = "hashserver: {bufferdir: /b}"
TYPES = "local, slurm, oar"
CLUSTER_FIELDS = "frontends, type, tunnel, workers, memory_per_core_property_name, default_queue, queues"
FRONTEND_FIELDS = "hostname, ssh_hostname, hashserver, database, jobserver, daskserver"
QUEUE_FIELDS = (
    "TEMPLATE, conda, walltime, memory, cores, job_cores, exclusive, interactive, maximum_jobs, "
    "unknown_task_duration, target_duration, lifetime_stagger, lifetime, partition, project, tmpdir, "
    "worker_threads, processes, job_extra_directives, job_script_prologue, dask_resources, extra_dask_config"
)


#: A frontend with a daskserver section whose fields follow.
D = "c: {frontends: [{hostname: h, daskserver: "


def q(queues: str, cluster_type: str = "slurm") -> str:
    return f"c: {{type: {cluster_type}, frontends: [{{hostname: h}}], queues: {queues}}}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("c: 5", "expected a mapping (the cluster definition), got 5"),
        ("c: null", "expected a mapping (the cluster definition), got null"),
        (
            "c: {type: local, frontends: [{}], colour: red}",
            f"colour: unknown field (allowed: {CLUSTER_FIELDS})",
        ),
        ("c: {type: local}", "frontends: required: a list of frontends (at least one)"),
        (
            "c: {type: local, frontends: []}",
            "frontends: expected a non-empty list of frontends, got an empty list",
        ),
        (
            "c: {type: local, frontends: {hostname: h}}",
            "frontends: expected a non-empty list of frontends, got a mapping",
        ),
        (
            "c: {type: local, frontends: [h]}",
            "frontends[0]: expected a mapping (one frontend), got 'h'",
        ),
        ("c: {type: pbs, frontends: [{}]}", f"type: expected one of {TYPES}, got 'pbs'"),
        ("c: {type: [local], frontends: [{}]}", f"type: expected one of {TYPES}, got a list"),
        (
            f"c: {{type: slurm, frontends: [{{{HS}}}]}}",
            "frontends[0].hostname: required for a cluster of type 'slurm' "
            "(only clusters of type 'local' default to 'localhost')",
        ),
        (
            f"c: {{frontends: [{{hostname: h}}, {{{HS}}}]}}",
            "frontends[1].hostname: required for a cluster without a 'type' "
            "(only clusters of type 'local' default to 'localhost')",
        ),
        ("c: {frontends: [{hostname: 5}]}", "frontends[0].hostname: expected a string, got 5"),
        (
            "c: {frontends: [{hostname: h, ssh_hostname: ''}]}",
            "frontends[0].ssh_hostname: expected a non-empty string, got ''",
        ),
        (
            "c: {frontends: [{hostname: h, hashserer: {}}]}",
            f"frontends[0].hashserer: unknown field (allowed: {FRONTEND_FIELDS})",
        ),
        (
            "c: {frontends: [{hostname: h, hashserver: /b}]}",
            "frontends[0].hashserver: expected a mapping of hashserver settings, got '/b'",
        ),
        (
            "c: {frontends: [{hostname: h, hashserver: null}]}",
            "frontends[0].hashserver: missing required field 'bufferdir'",
        ),
        (
            "c: {frontends: [{hostname: h, hashserver: {bufferdir: /b, colour: red}}]}",
            "frontends[0].hashserver.colour: unknown field "
            "(allowed: bufferdir, conda, network_interface, port_start, port_end)",
        ),
        (
            "c: {frontends: [{hostname: h, jobserver: {conda: x}}], workers: 2}",
            "frontends[0].jobserver: missing required fields 'network_interface', 'port_start', 'port_end'",
        ),
        (
            "c: {frontends: [{hostname: h, hashserver: {bufferdir: /b, port_start: abc, port_end: 2}}]}",
            "frontends[0].hashserver.port_start: expected an integer, got 'abc'",
        ),
        (
            "c: {frontends: [{hostname: h, database: {database_dir: /d, port_start: 10}}]}",
            "frontends[0].database: 'port_start' and 'port_end' must both be set or both be omitted",
        ),
        (
            D + "{network_interface: lo, port_start: 20, port_end: 10}}]}",
            "frontends[0].daskserver: 'port_start' (20) must not be greater than 'port_end' (10)",
        ),
        (
            D + "{network_interface: lo, port_start: 1, port_end: 70000}}]}",
            "frontends[0].daskserver.port_end: expected an integer between 1 and 65535, got 70000",
        ),
        (
            D + "{network_interface: lo, port_start: true, port_end: 2}}]}",
            "frontends[0].daskserver.port_start: expected an integer, got true",
        ),
        (
            "c: {frontends: [{hostname: h, hashserver: {bufferdir: 5}}]}",
            "frontends[0].hashserver.bufferdir: expected a string, got 5",
        ),
        (
            "c: {type: local, tunnel: 'yes', frontends: [{}]}",
            "tunnel: expected true or false, got 'yes'",
        ),
        (
            "c: {type: local, workers: 0, frontends: [{}]}",
            "workers: expected a positive integer, got 0",
        ),
        (
            "c: {type: local, workers: two, frontends: [{}]}",
            "workers: expected a positive integer, got 'two'",
        ),
        (
            "c: {type: local, frontends: [{}, {jobserver: "
            "{conda: x, network_interface: lo, port_start: 1, port_end: 2}}]}",
            "workers: required (a positive integer) because frontends[1] has a jobserver section",
        ),
        (
            "c: {frontends: [{hostname: h}], memory_per_core_property_name: 5}",
            "memory_per_core_property_name: expected a string, got 5",
        ),
        (
            "c: {type: local, frontends: [{}], default_queue: q}",
            "default_queue: 'q' is not a queue of this cluster (the cluster has no queues)",
        ),
        (
            "c: {type: slurm, frontends: [{hostname: h}], default_queue: b, "
            f"queues: {{a: {{cores: 2, {W}}}}}}}",
            "default_queue: 'b' is not a queue of this cluster (a)",
        ),
        (q("[a, b]"), "queues: expected a mapping of queue names to queues, got a list"),
        (q("{a: [cores]}"), "queues.a: expected a mapping of queue fields, got a list"),
        (
            q("{a: {cores: 1, colour: red}}"),
            f"queues.a.colour: unknown field (allowed: {QUEUE_FIELDS})",
        ),
        (
            q("{a: {cores: 1, job-cores: 1, job_cores: 1}}"),
            "queues.a.job_cores: written twice (as 'job-cores' and 'job_cores')",
        ),
        (
            q("{a: {TEMPLATE: b, cores: 1}, b: {cores: 1}}"),
            "queues.a.TEMPLATE: unknown queue 'b': "
            "a template must be a queue defined above this one (defined above: none)",
        ),
        (
            q(f"{{b: {{cores: 1, {W}}}, a: {{TEMPLATE: a}}}}"),
            "queues.a.TEMPLATE: unknown queue 'a': "
            "a template must be a queue defined above this one (defined above: b)",
        ),
        (q("{a: {cores: many}}"), "queues.a.cores: expected a positive integer, got 'many'"),
        (
            q("{a: {cores: 2, walltime: 1:00:00}}"),
            "queues.a.walltime: expected a string such as '01:00:00', got 3600 "
            "(YAML reads an unquoted 1:00:00 as a number: quote it)",
        ),
        (
            q("{a: {cores: 2, memory: [1]}}"),
            "queues.a.memory: expected a memory size such as '32000MB', got a list",
        ),
        (
            q("{a: {cores: 2, target-duration: true}}"),
            "queues.a.target-duration: expected a duration such as '10m' or a number of seconds, got true",
        ),
        (
            q("{a: {cores: 2, exclusive: 1}}"),
            "queues.a.exclusive: expected true or false, got 1",
        ),
        (
            q("{a: {cores: 2, job_extra_directives: '-A x'}}"),
            "queues.a.job_extra_directives: expected a list of strings, got '-A x'",
        ),
        (
            q("{a: {cores: 2, job-script-prologue: [ok, 3]}}"),
            "queues.a.job-script-prologue[1]: expected a string, got 3",
        ),
        (
            q("{a: {cores: 2, dask_resources: {GPU: one}}}"),
            "queues.a.dask_resources.GPU: expected a number, got 'one'",
        ),
        (
            q("{a: {cores: 2, extra_dask_config: {k: [1]}}}"),
            "queues.a.extra_dask_config.k: expected a string, number or boolean, got a list",
        ),
        (
            q(f"{{a: {{exclusive: true, cores: 4, job_cores: 1, {W}}}}}"),
            "queues.a: 'job_cores' must not be set in exclusive mode",
        ),
        (
            q(f"{{a: {{exclusive: true, {W}}}}}", "local"),
            "queues.a: 'cores' is required for local cluster exclusive mode",
        ),
        (
            q(f"{{a: {{{W}}}}}"),
            "queues.a: 'cores' is required when 'exclusive' is not set",
        ),
        (
            q(f"{{a: {{cores: 2, {W}}}, b: {{TEMPLATE: a, cores: null}}}}"),
            "queues.b: 'cores' is required when 'exclusive' is not set",
        ),
        (q("{7: {cores: 2}}"), "queues: queue names must be non-empty strings, got 7"),
    ],
)
def test_mistakes_name_file_cluster_and_field(world: World, text: str, message: str) -> None:
    path = world.clusters(text)
    assert cluster_error(world, "c") == f"{path}: cluster 'c': {message}"


# -- the scheduler's queue rules (weak point 8) -------------------------------------------------

BATCH_NEEDS_WALLTIME = "the batch jobs need a walltime"
NEEDS_MEMORY = "the Dask workers need a memory size"
OAR_PROPERTY = (
    "memory_per_core_property_name: required for a oar cluster with queues (the Dask wrapper needs "
    "it for OAR; write 'not_applicable' when the site has no such property)"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            q("{a: {cores: 2, memory: 1GB}}"),
            f"queues.a.walltime: required for a slurm queue ({BATCH_NEEDS_WALLTIME})",
        ),
        (
            q("{a: {cores: 2, walltime: '01:00:00'}}"),
            f"queues.a.memory: required for a slurm queue ({NEEDS_MEMORY})",
        ),
        (
            "c: {type: oar, memory_per_core_property_name: m, frontends: [{hostname: h}], "
            "queues: {a: {cores: 2, memory: 1GB}}}",
            f"queues.a.walltime: required for a oar queue ({BATCH_NEEDS_WALLTIME})",
        ),
        (
            "c: {type: oar, memory_per_core_property_name: m, frontends: [{hostname: h}], "
            "queues: {a: {cores: 2, walltime: '01:00:00'}}}",
            f"queues.a.memory: required for a oar queue ({NEEDS_MEMORY})",
        ),
        (
            q("{a: {cores: 2, lifetime: 1h}}", "local"),
            f"queues.a.memory: required for a local queue ({NEEDS_MEMORY})",
        ),
        (
            q("{a: {cores: 2, memory: 1GB}}", "local"),
            "queues.a.walltime: required for a local queue unless 'lifetime' is set "
            "(the workers' lifetime comes from it)",
        ),
        # Checked after TEMPLATE: a child that erases an inherited requirement is refused.
        (
            q(f"{{a: {{cores: 2, {W}}}, b: {{TEMPLATE: a, memory: null}}}}"),
            f"queues.b.memory: required for a slurm queue ({NEEDS_MEMORY})",
        ),
        (q(f"{{a: {{cores: 2, {W}}}}}", "oar"), OAR_PROPERTY),
        # The required fields come before the exclusive rules.
        (
            q("{a: {exclusive: true, job_cores: 1}}"),
            f"queues.a.walltime: required for a slurm queue ({BATCH_NEEDS_WALLTIME})",
        ),
    ],
)
def test_scheduler_queue_rules_name_the_field(world: World, text: str, message: str) -> None:
    path = world.clusters(text)
    assert cluster_error(world, "c") == f"{path}: cluster 'c': {message}"


def test_what_the_scheduler_rules_accept(world: World) -> None:
    world.clusters(
        f"""
        loc: {{type: local, frontends: [{{}}], queues: {{a: {{memory: 1GB, lifetime: 1h}}}}}}
        oar_no_queues: {{type: oar, frontends: [{{hostname: h}}]}}
        oar_na: {{type: oar, memory_per_core_property_name: not_applicable, frontends: [{{hostname: h}}],
                  queues: {{a: {{cores: 1, {W}}}}}}}
        untyped: {{frontends: [{{hostname: h}}], queues: {{a: {{cores: 1}}}}}}
        inherit: {{type: slurm, frontends: [{{hostname: h}}],
                  queues: {{a: {{cores: 1, {W}}}, b: {{TEMPLATE: a, exclusive: true, cores: null}}}}}}
        """
    )
    # local: 'lifetime' stands in for 'walltime'; 'cores' defaults to the cluster's workers later.
    assert cluster(world, "loc").queues["a"].fields == {**DEFAULTS, "memory": "1GB", "lifetime": "1h"}
    assert cluster(world, "oar_no_queues").queues == {}
    assert cluster(world, "oar_na").memory_per_core_property_name == "not_applicable"
    # Without a type there is no scheduler: nothing filled in, only 0.3.2's exclusive rules.
    assert cluster(world, "untyped").queues["a"].fields == {"cores": 1}
    # Required fields may come from the template.
    assert cluster(world, "inherit").queues["b"].fields == {
        **DEFAULTS,
        "walltime": "01:00:00",
        "memory": "1GB",
        "exclusive": True,
    }


def test_defaults_fill_only_what_is_left_out(world: World) -> None:
    world.clusters(
        f"""
        c:
          type: slurm
          frontends: [{{hostname: h}}]
          queues:
            mine: {{cores: 2, {W}, tmpdir: /scratch, interactive: true, exclusive: false,
                    unknown-task-duration: 5s, target_duration: 1m, lifetime_stagger: 0}}
            child: {{TEMPLATE: mine, tmpdir: null, lifetime_stagger: null, interactive: false}}
        """
    )
    queues = cluster(world, "c").queues
    written = {
        "cores": 2,
        "walltime": "01:00:00",
        "memory": "1GB",
        "tmpdir": "/scratch",
        "interactive": True,
        "exclusive": False,
        "unknown_task_duration": "5s",
        "target_duration": "1m",
        "lifetime_stagger": 0,
    }
    assert queues["mine"].fields == written
    # An explicit null erases the inherited value and the default comes back; a written value
    # (even false) stays.
    assert queues["child"].fields == {
        **written,
        "tmpdir": "/tmp",
        "lifetime_stagger": "4m",
        "interactive": False,
    }


def test_an_unknown_type_lists_the_registered_schedulers(world: World) -> None:
    path = world.clusters("c: {type: torque, frontends: [{hostname: h}]}")
    registered = ", ".join(plugins.schedulers().names())
    assert registered == TYPES
    assert (
        cluster_error(world, "c") == f"{path}: cluster 'c': type: expected one of {registered}, got 'torque'"
    )


def test_cluster_names_must_be_strings(world: World) -> None:
    path = world.clusters("7: {frontends: [{}], type: local}")
    assert cluster_error(world, "7") == f"{path}: cluster 7: cluster names must be strings"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b", "expected a mapping of cluster names to cluster definitions, got a list"),
        ("c: {frontends: [}", "line 1, column 17: invalid YAML: did not find expected node content"),
        ("c: 1\nc: [", "line 3, column 1: invalid YAML: did not find expected node content"),
    ],
)
def test_unreadable_cluster_files_fail_loading_naming_that_file(
    world: World, text: str, message: str
) -> None:
    world.clusters("fine: {type: local, frontends: [{}]}", name="a.yaml")
    path = world.clusters(text, name="b.yaml")
    world.clusters("also_fine: {type: local, frontends: [{}]}", name="c.yaml")
    assert world.error(read_command_files=False) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[a]", "local_cluster: expected a cluster name, got a list"),
        ("''", "local_cluster: expected a cluster name, got ''"),
        ("ghost", "local_cluster: 'ghost' is not a defined cluster (clusters: c)"),
    ],
)
def test_local_cluster_mistakes(world: World, value: str, message: str) -> None:
    path = world.clusters(f"local_cluster: {value}\nc: {{type: local, frontends: [{{}}]}}")
    assert cluster_error(world, "c") == f"{path}: {message}"


def test_inline_cluster_mistakes_name_the_command_file(world: World) -> None:
    path = world.commands(
        "- stage s:\n    - clusters:\n        x: {type: slurm, frontends: [{}]}", profile=True
    )
    configuration = world.load(stage="s")
    with pytest.raises(ConfigError) as info:
        configuration.cluster("x")
    assert str(info.value) == (
        f"{path}: stage s: clusters: cluster 'x': frontends[0].hostname: "
        "required for a cluster of type 'slurm' "
        "(only clusters of type 'local' default to 'localhost')"
    )
    assert "x" not in world.load().clusters.clusters  # the block is not applied without the stage
    path = world.commands("- clusters: {local_cluster: 5}", profile=True)
    assert [str(e) for e in config.validate_all(world.load().clusters)] == [
        f"{path}: clusters: local_cluster: expected a cluster name, got 5"
    ]


# -- sections come from the registered service types -------------------------------------------


class Checked:
    """A plugin's section rule beyond its fields."""

    def __init__(self, name: str) -> None:
        self.service_type = make_type(name, name, ("root",), ("depth",))
        self.service_type.check_section = self.check  # type: ignore[method-assign]

    @staticmethod
    def check(section: Any) -> None:
        if section.get("depth", 0) > 3:
            raise ConfigError("must be at most 3", field="depth")


def test_a_plugin_service_type_brings_its_section(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        plugins, "service_types", lambda: FakeRegistry([*spec_types(), Checked("vault").service_type])
    )
    path = world.clusters(
        """
        ok: {type: local, frontends: [{vault: {root: /v, depth: 2}}]}
        deep: {type: local, frontends: [{vault: {root: /v, depth: 4}}]}
        rootless: {type: local, frontends: [{vault: {depth: 1}}]}
        """
    )
    assert cluster(world, "ok").frontends[0].sections["vault"] == {"root": "/v", "depth": 2}
    assert (
        cluster_error(world, "deep") == f"{path}: cluster 'deep': frontends[0].vault.depth: must be at most 3"
    )
    assert (
        cluster_error(world, "rootless")
        == f"{path}: cluster 'rootless': frontends[0].vault: missing required field 'root'"
    )
    monkeypatch.setattr(plugins, "service_types", lambda: FakeRegistry(spec_types()))
    assert cluster_error(world, "ok") == (
        f"{path}: cluster 'ok': frontends[0].vault: unknown field (allowed: {FRONTEND_FIELDS})"
    )


def test_both_dask_types_read_one_section(world: World) -> None:
    sections = plugins.service_types().sections()
    assert sorted(t.name for t in sections["daskserver"]) == ["daskserver", "pure-daskserver"]
