"""Loading (spec §1.1 discovery, §1.3, §4.1-4.2): which files are read, flags over files,
SEAMLESS_CACHE, and that no input produces anything but a Configuration or a ConfigError."""

from __future__ import annotations

import copy
import os
import pathlib
import pwd
import textwrap
from typing import Any

import pytest
import yaml
from configworld import EXAMPLE_CLUSTERS, World, service_sections_fixture, world_fixture  # noqa: F401
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seamless_config_services import config
from seamless_config_services.errors import ConfigError
from seamless_config_services.model import CACHE_CLUSTER, CACHE_PROJECT, Configuration, Selection

# -- which files ------------------------------------------------------------------------------


def test_a_subdirectory_finds_the_nearest_project(world: World) -> None:
    first = world.commands("- project: myproj")
    second = world.commands("- cluster: hpc", profile=True)
    deep = world.project / "sub" / "deeper"
    deep.mkdir()
    for start in (world.project, world.project / "sub", deep):
        configuration = world.load(start)
        assert (configuration.selection.project, configuration.selection.cluster) == ("myproj", "hpc")
        assert configuration.command_files == (str(first), str(second))


def test_the_nearest_directory_with_a_file_wins_and_stops_the_search(world: World) -> None:
    world.commands("- project: outer")
    inner = world.commands("- nparallel: 2", profile=True, directory=world.project / "sub")
    configuration = world.load(world.project / "sub")
    assert configuration.command_files == (str(inner),)
    assert (configuration.selection.project, configuration.selection.nparallel) == (None, 2)


def test_no_file_anywhere_reads_nothing(world: World) -> None:
    configuration = world.load(world.project / "sub")
    assert configuration.command_files == () and configuration.selection == Selection()


def test_inherit_from_parent_reads_the_parent_first(world: World) -> None:
    top = world.commands("- project: p\n- nparallel: 1\n- cluster: mylocal")
    sub = world.project / "sub"
    mid = world.commands("- nparallel: 2\n- inherit_from_parent", directory=sub)
    leaf_dir = sub / "leaf"
    leaf = world.commands("- inherit_from_parent\n- nparallel: 3", profile=True, directory=leaf_dir)
    world.clusters(EXAMPLE_CLUSTERS)
    configuration = world.load(leaf_dir)
    assert configuration.command_files == (str(top), str(mid), str(leaf))
    assert (configuration.selection.project, configuration.selection.nparallel) == ("p", 3)
    assert configuration.selection.cluster == "mylocal"
    # The search from below the leaf finds the leaf, then inherits all the way up.
    (leaf_dir / "below").mkdir()
    assert world.load(leaf_dir / "below").command_files == (str(top), str(mid), str(leaf))


def test_without_inherit_the_parent_is_not_read(world: World) -> None:
    world.commands("- project: p")
    sub = world.commands("- nparallel: 2", directory=world.project / "sub")
    configuration = world.load(world.project / "sub")
    assert configuration.command_files == (str(sub),)
    assert configuration.selection.project is None


def test_inherit_into_a_directory_without_files_stops_there(world: World) -> None:
    leaf = world.commands("- inherit_from_parent", directory=world.project / "sub")
    assert world.load(world.project / "sub").command_files == (str(leaf),)


def test_inherit_inside_a_stage_block_is_not_inheritance(world: World) -> None:
    path = world.commands("- stage s:\n    - inherit_from_parent", directory=world.project / "sub")
    assert world.error(world.project / "sub", stage="s") == (
        f"{path}: stage s: inherit_from_parent: "
        "only works at the top level of a file, not inside a stage block"
    )


def test_a_symlinked_start_directory_is_resolved(world: World) -> None:
    path = world.commands("- project: p")
    link = world.root / "link"
    link.symlink_to(world.project / "sub")
    configuration = world.load(link)
    assert configuration.command_files == (str(path),)
    assert configuration.selection.project == "p"


def test_the_current_directory_is_the_default(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.commands("- project: p")
    monkeypatch.chdir(world.project / "sub")
    assert config.load(environ=world.environ).selection.project == "p"


def test_a_missing_start_directory(world: World) -> None:
    missing = world.root / "nope"
    assert world.error(missing) == f"workdir: not a directory: {missing}"


def test_read_command_files_false_reads_only_cluster_files(world: World) -> None:
    world.commands("- project: [broken")
    path = world.clusters(EXAMPLE_CLUSTERS)
    configuration = world.load(read_command_files=False, cluster="hpc", project="p")
    assert configuration.command_files == () and configuration.cluster_files == (str(path),)
    assert (configuration.selection.cluster, configuration.selection.project) == ("hpc", "p")


def test_home_comes_from_the_environment_or_the_user_database(world: World) -> None:
    world.clusters(EXAMPLE_CLUSTERS)
    assert "hpc" in config.load_clusters(world.environ).clusters
    environ: dict[str, str] = {}
    configuration = world.load(environ=environ, read_command_files=False)
    home = pwd.getpwuid(os.getuid()).pw_dir
    assert all(f.startswith(os.path.join(home, ".seamless")) for f in configuration.cluster_files)


# -- flags over files -------------------------------------------------------------------------

PROFILE = """
- project: fileproj
- cluster: hpc
- queue: excl
- stage fing:
    - cluster: mylocal
"""


@pytest.fixture
def profiled(world: World) -> World:
    world.clusters(EXAMPLE_CLUSTERS)
    world.commands(PROFILE, profile=True)
    return world


def test_flags_override_file_selections(profiled: World) -> None:
    selection = profiled.load(
        project="flagproj", subproject="s/t", substage="gpu", mode="ro", frontend_name="login.hpc.example"
    ).selection
    assert (selection.project, selection.subproject, selection.substage) == ("flagproj", "s/t", "gpu")
    assert (selection.cluster, selection.queue, selection.mode) == ("hpc", "excl", "ro")
    assert selection.frontend_name == "login.hpc.example"


def test_stage_blocks_apply_for_the_stage_flag(profiled: World) -> None:
    # 0.3.2 selected --stage after loading: the block was ignored and 'hpc' used.
    selection = profiled.load(stage="fing").selection
    assert (selection.stage, selection.cluster, selection.queue) == ("fing", "mylocal", None)


def test_cluster_flag(profiled: World) -> None:
    assert profiled.load(cluster="hpc").selection.queue == "excl"  # same cluster: queue kept
    selection = profiled.load(cluster="mylocal").selection
    assert (selection.cluster, selection.queue) == ("mylocal", None)  # switched: queue dropped
    assert profiled.load(cluster="hpc", queue="default").selection.queue == "default"


def test_empty_flags_mean_none(profiled: World) -> None:
    selection = profiled.load(stage="", substage="", subproject="").selection
    assert (selection.stage, selection.substage, selection.subproject) == (None, None, None)


def test_project_alias_passes_through(profiled: World) -> None:
    assert profiled.load(project="SEAMLESS_CACHE").selection.project == "SEAMLESS_CACHE"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"queue": "x"}, "--queue: cluster 'hpc' has no queue 'x' (queues: default, excl)"),
        ({"cluster": "mylocal", "queue": "x"}, "--queue: cluster 'mylocal' has no queues"),
        (
            {"cluster": "ghost", "queue": "x"},
            "--queue: cluster 'ghost' is not defined (clusters: mylocal, hpc)",
        ),
        ({"queue": ""}, "--queue: expected a queue name, got ''"),
        ({"cluster": "a/b"}, "--cluster: cluster name 'a/b' cannot contain '/'"),
        ({"cluster": ""}, "--cluster: expected a name, got ''"),
        ({"project": "x--y"}, "--project: project name 'x--y' cannot contain '--'"),
        ({"subproject": "STAGE-1"}, "--subproject: subproject name 'STAGE-1' cannot contain 'STAGE-'"),
        ({"stage": "a/b"}, "--stage: stage name 'a/b' cannot contain '/'"),
        ({"substage": "x--"}, "--substage: substage name 'x--' cannot contain '--'"),
        ({"mode": "rx"}, "--mode: expected one of ro, rw, got 'rx'"),
        ({"frontend_name": " "}, "--frontend-name: expected a frontend hostname, got ''"),
    ],
)
def test_bad_flags(profiled: World, flags: dict[str, str], message: str) -> None:
    assert profiled.error(**flags) == message


def test_a_bad_queue_in_a_file_is_reported_unless_a_flag_replaces_its_cluster(world: World) -> None:
    world.clusters(EXAMPLE_CLUSTERS)
    path = world.commands("- cluster: hpc\n- queue: nope", profile=True)
    assert world.error() == f"{path}: queue: cluster 'hpc' has no queue 'nope' (queues: default, excl)"
    assert world.load(cluster="mylocal").selection.queue is None
    assert world.load(queue="default").selection.queue == "default"


def test_a_flag_queue_without_a_cluster(world: World) -> None:
    assert world.error(queue="q") == "--queue: cannot select a queue without a cluster (use --cluster)"


# -- SEAMLESS_CACHE ---------------------------------------------------------------------------


def cache_env(world: World, value: str) -> dict[str, str]:
    return {**world.environ, config.ENV_CACHE: value}


def test_seamless_cache_replaces_all_configuration(world: World) -> None:
    world.clusters("this is: [not valid")
    world.commands("- nonsense")
    root = world.root / "cache"
    configuration = world.load(environ=cache_env(world, str(root)), stage="fing")
    assert configuration.cache_root == str(root)
    assert configuration.command_files == () and configuration.cluster_files == ()
    selection = configuration.selection
    assert (selection.cluster, selection.project, selection.stage) == (CACHE_CLUSTER, CACHE_PROJECT, "fing")
    assert (selection.execution, selection.persistent) == ("process", True)
    assert configuration.clusters.local_cluster == CACHE_CLUSTER and configuration.is_local(CACHE_CLUSTER)
    cluster = configuration.cluster()
    assert (cluster.name, cluster.type, len(cluster.frontends)) == (CACHE_CLUSTER, "local", 1)
    assert cluster.frontends[0].hostname == "localhost"
    assert dict(cluster.frontends[0].sections) == {
        "hashserver": {"bufferdir": str(root)},
        "database": {"database_dir": str(root)},
    }
    assert config.validate_all(configuration.clusters) == []


def test_seamless_cache_keeps_a_given_project_and_expands_home(world: World) -> None:
    configuration = world.load(environ=cache_env(world, "~/cache "), project="p")
    assert configuration.cache_root == str(world.home / "cache")
    assert configuration.selection.project == "p"


def test_a_relative_seamless_cache_is_made_absolute(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(world.root)
    assert world.load(environ=cache_env(world, "rel")).cache_root == str(world.root / "rel")


def test_a_blank_seamless_cache_is_unset(world: World) -> None:
    world.clusters(EXAMPLE_CLUSTERS)
    configuration = world.load(environ=cache_env(world, "  "))
    assert configuration.cache_root is None and "hpc" in configuration.clusters.clusters


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            {"cluster": "hpc"},
            "--cluster: SEAMLESS_CACHE is set, so the only cluster is '__SEAMLESS_CACHE__' "
            "(unset SEAMLESS_CACHE to use cluster 'hpc')",
        ),
        ({"queue": "q"}, "--queue: cluster '__SEAMLESS_CACHE__' has no queues"),
        ({"stage": "a--b"}, "--stage: stage name 'a--b' cannot contain '--'"),
    ],
)
def test_seamless_cache_flag_mistakes(world: World, flags: dict[str, str], message: str) -> None:
    assert world.error(environ=cache_env(world, "/c"), **flags) == message


def test_cache_configuration_for_the_resolver(tmp_path: pathlib.Path) -> None:
    configuration = config.cache_configuration(str(tmp_path / "c" / ".."), Selection(stage="s", mode="ro"))
    assert configuration.cache_root == str(tmp_path)
    selection = configuration.selection
    assert (selection.cluster, selection.project, selection.stage, selection.mode) == (
        CACHE_CLUSTER,
        CACHE_PROJECT,
        "s",
        "ro",
    )
    assert configuration.cluster().frontends[0].sections["hashserver"] == {"bufferdir": str(tmp_path)}


# -- nothing but a Configuration or a ConfigError ---------------------------------------------

WORDS = [
    *config.commands.ARGUMENTS,
    "inherit_from_parent",
    "stage",
    "stage s",
    "stagex",
    "s",
    "hpc",
    "q",
    *config.clusters.CLUSTER_FIELDS,
    "local_cluster",
    "hostname",
    "ssh_hostname",
    "hashserver",
    "daskserver",
    "jobserver",
    "database",
    "bufferdir",
    "port_start",
    "port_end",
    "network_interface",
    "TEMPLATE",
    "cores",
    "exclusive",
    "job-cores",
    "local",
    "slurm",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=70000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(WORDS),
    st.text(max_size=6),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(WORDS), scalars), inner, max_size=4),
    ),
    max_leaves=25,
)


def load_everything(world: World, **flags: Any) -> Configuration | ConfigError:
    try:
        configuration = world.load(**flags)
        for name in configuration.clusters.clusters:
            try:
                configuration.clusters.clusters[name]
            except ConfigError:
                pass
        config.validate_all(configuration.clusters)
        return configuration
    except ConfigError as exc:
        assert "\n" not in str(exc) and "Traceback" not in str(exc)
        return exc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    profile=documents,
    clusters=documents,
    stage=st.sampled_from([None, "s", "x"]),
    queue=st.sampled_from([None, "q"]),
)
def test_random_documents_give_a_configuration_or_a_config_error(
    world: World, profile: Any, clusters: Any, stage: str | None, queue: str | None
) -> None:
    if isinstance(profile, list):
        profile = [{"stage s": profile[:2]}, *profile]  # reach into stage blocks too
    world.commands(yaml.safe_dump(profile), profile=True)
    world.clusters(yaml.safe_dump(clusters))
    flags = {
        k: v for k, v in (("stage", stage), ("queue", queue), ("cluster", "hpc" if queue else None)) if v
    }
    load_everything(world, **flags)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet="-:{}[]&*!|>'\" \n\tabcs0123#%@`,?", max_size=40))
def test_random_text_gives_a_configuration_or_a_config_error(world: World, text: str) -> None:
    world.commands(text)
    (world.home / ".seamless" / "clusters.yaml").write_text(text)
    load_everything(world, stage="s")


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a parsed YAML document (the document itself included)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths_of(item, (*prefix, key)))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found.extend(paths_of(item, (*prefix, position)))
    return found


EXAMPLE = yaml.safe_load(textwrap.dedent(EXAMPLE_CLUSTERS))
EXAMPLE_PATHS = paths_of(EXAMPLE)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(EXAMPLE_PATHS[1:]), value=documents, cluster=st.sampled_from(["hpc", "mylocal"]))
def test_one_wrong_value_in_a_valid_file_is_a_config_error_naming_that_cluster(
    world: World, path: tuple[Any, ...], value: Any, cluster: str
) -> None:
    document = copy.deepcopy(EXAMPLE)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    world.clusters(yaml.safe_dump(document))
    world.commands(f"- cluster: {cluster}", profile=True)
    result = load_everything(world)
    assert isinstance(result, Configuration)  # nothing is validated before it is used
    if path[0] == cluster:
        try:
            result.cluster()
        except ConfigError as exc:
            assert str(exc).startswith(f"{world.home}/.seamless/clusters.yaml: cluster {cluster!r}: ")
    elif path[0] != "local_cluster":
        assert result.cluster().name == cluster  # a broken neighbour does not matter
