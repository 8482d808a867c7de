"""The command language of seamless.yaml / seamless.profile.yaml (spec §1.1).

What a user sees: the selection each command makes, stage blocks applied for the stage the
caller names, and for every kind of mistake one line naming the file, the command (or entry)
and what is expected.
"""

from __future__ import annotations

import pytest
from configworld import EXAMPLE_CLUSTERS, World, service_sections_fixture, world_fixture  # noqa: F401

from seamless_config_services.model import Selection


def selection_of(world: World, profile: str, **overrides: str) -> Selection:
    world.clusters(EXAMPLE_CLUSTERS)
    world.commands(profile, profile=True)
    return world.load(**overrides).selection


# -- every command ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "field", "value"),
    [
        ("- project: myproj", "project", "myproj"),
        ("- subproject: sub", "subproject", "sub"),
        ("- subproject: a/b", "subproject", "a/b"),
        ("- subproject: ''", "subproject", None),
        ("- cluster: hpc", "cluster", "hpc"),
        ("- cluster: hpc\n- cluster: null", "cluster", None),
        ("- execution: process", "execution", "process"),
        ("- execution: spawn", "execution", "spawn"),
        ("- execution: remote", "execution", "remote"),
        ("- remote: daskserver", "remote", "daskserver"),
        ("- remote: jobserver", "remote", "jobserver"),
        ("- remote: jobserver\n- remote: null", "remote", None),
        ("- persistent: false", "persistent", False),
        ("- persistent: true", "persistent", True),
        ("- record: true", "record", True),
        ("- nparallel: 4", "nparallel", 4),
        ("- node: node17", "node", "node17"),
        ("- node: node17\n- node: null", "node", None),
        ("- cluster: hpc\n- queue: excl", "queue", "excl"),
        ("- project: a\n- project: b", "project", "b"),
    ],
)
def test_each_command_sets_its_selection(world: World, profile: str, field: str, value: object) -> None:
    assert getattr(selection_of(world, profile), field) == value


def test_no_commands_select_nothing_and_defaults_derive(world: World) -> None:
    world.commands("")  # an empty file is an empty list of commands
    selection = world.load().selection
    assert selection == Selection()
    assert (selection.effective_execution(), selection.effective_persistent()) == ("process", False)
    selection = selection_of(world, "- cluster: hpc")
    assert (selection.effective_execution(), selection.effective_persistent()) == ("remote", True)


def test_switching_cluster_drops_the_queue_but_reselecting_keeps_it(world: World) -> None:
    assert selection_of(world, "- cluster: hpc\n- queue: excl\n- cluster: mylocal").queue is None
    assert selection_of(world, "- cluster: hpc\n- queue: excl\n- cluster: hpc").queue == "excl"


def test_inline_clusters_are_read_before_the_commands_that_use_them(world: World) -> None:
    # The queue command comes *before* the clusters command in the file: pass 1 runs
    # every clusters command first, so the inline cluster and its queue exist.
    world.commands(
        """
        - cluster: inl
        - queue: q
        - clusters:
            inl:
              type: local
              frontends: [{hashserver: {bufferdir: /b}}]
              queues: {q: {cores: 2, memory: 1GB, lifetime: 1h}}
        """,
        profile=True,
    )
    configuration = world.load()
    assert (configuration.selection.cluster, configuration.selection.queue) == ("inl", "q")
    cluster = configuration.clusters.clusters["inl"]
    assert cluster.source == str(world.project / "seamless.profile.yaml")
    assert cluster.queues["q"].fields["cores"] == 2 and cluster.queues["q"].fields["lifetime"] == "1h"


def test_seamless_yaml_comes_before_the_profile(world: World) -> None:
    world.commands("- project: committed\n- nparallel: 2")
    world.commands("- project: mine", profile=True)
    configuration = world.load()
    assert (configuration.selection.project, configuration.selection.nparallel) == ("mine", 2)
    assert configuration.command_files == (
        str(world.project / "seamless.yaml"),
        str(world.project / "seamless.profile.yaml"),
    )


# -- stage blocks -----------------------------------------------------------------------------

STAGED = """
- cluster: mylocal
- stage fing:
    - cluster: hpc
    - queue: excl
    - stage   deeper:
        - nparallel: 9
- stage gpu:
    - node: gpu01
- nparallel: 1
"""


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (None, ("mylocal", None, None, 1)),
        ("", ("mylocal", None, None, 1)),  # --stage "" means no stage
        ("fing", ("hpc", "excl", None, 1)),
        ("gpu", ("mylocal", None, "gpu01", 1)),
        ("other", ("mylocal", None, None, 1)),
        ("deeper", ("mylocal", None, None, 1)),  # a nested block applies only inside its parent
    ],
)
def test_stage_blocks_apply_for_the_stage_given_by_the_caller(
    world: World, stage: str | None, expected: tuple[object, ...]
) -> None:
    selection = selection_of(world, STAGED, **({} if stage is None else {"stage": stage}))
    assert (selection.cluster, selection.queue, selection.node, selection.nparallel) == expected
    assert selection.stage == (stage or None)


def test_stage_blocks_expand_in_place(world: World) -> None:
    text = "- nparallel: 1\n- stage s:\n    - nparallel: 2\n- stage s:\n    - project: p\n"
    assert selection_of(world, text, stage="s").nparallel == 2
    assert selection_of(world, text + "- nparallel: 3\n", stage="s").nparallel == 3


def test_a_self_containing_stage_block_is_an_error_not_a_crash(world: World) -> None:
    path = world.commands("- &loop {stage s: [*loop]}")
    assert (
        world.error() == f"{path}: " + ": ".join(["stage s"] * 33) + ": stage blocks nested more than 32 deep"
    )


# -- mistakes ---------------------------------------------------------------------------------

EXAMPLE = "'- project: myproject'"
COMMANDS = (
    "project, subproject, cluster, execution, queue, remote, persistent, record, nparallel, node, clusters, "
    "inherit_from_parent, stage NAME"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("project: p", f"expected a YAML list of commands such as {EXAMPLE}, got a mapping"),
        ("just words", f"expected a YAML list of commands such as {EXAMPLE}, got 'just words'"),
        (
            "- [project, p]",
            f"entry 1: expected a command (a string or a one-key mapping such as {EXAMPLE}), got a list",
        ),
        (
            "- project: p\n- 5",
            f"entry 2: expected a command (a string or a one-key mapping such as {EXAMPLE}), got 5",
        ),
        (
            "- project: p\n  cluster: c",
            "entry 1: expected one command per list entry, got a mapping with 2 keys (project, cluster); "
            "start each command with '- '",
        ),
        ("- 5: x", "entry 1: command names must be strings, got 5"),
        ("- projet: p", f"entry 1: unknown command 'projet' (commands: {COMMANDS})"),
        ("- stagefoo:\n    - project: p", f"entry 1: unknown command 'stagefoo' (commands: {COMMANDS})"),
        ("- stage: fing", "entry 1: 'stage' needs a name: write '- stage x:' followed by a list of commands"),
        ("- stage", "entry 1: 'stage' needs a name: write '- stage x:' followed by a list of commands"),
        (
            "- stage fing: hpc",
            "stage fing: must be followed by a YAML list of commands "
            "(write '- stage NAME:' and the commands indented below it)",
        ),
        (
            "- stage fing",
            "stage fing: must be followed by a YAML list of commands "
            "(write '- stage NAME:' and the commands indented below it)",
        ),
        ("- stage a/b:\n    - project: p", "entry 1: stage name 'a/b' cannot contain '/'"),
        ("- project", "project: needs a value: write '- project: VALUE'"),
        ("- project: 5", "project: expected a string, got 5"),
        ("- project: ''", "project: expected a non-empty string, got ''"),
        ("- project: a--b", "project: project name 'a--b' cannot contain '--'"),
        ("- project: STAGE-x", "project: project name 'STAGE-x' cannot contain 'STAGE-'"),
        ("- project: a/b", "project: project name 'a/b' cannot contain '/'"),
        (
            "- project: 'my project'",
            "project: project name 'my project' cannot contain whitespace or control characters",
        ),
        (
            "- stage a\tb:\n    - project: p",
            "entry 1: stage name 'a\\tb' cannot contain whitespace or control characters",
        ),
        (
            '- {project: p, "\\n": q}',  # a real newline in the key: quoted back, still one line
            "entry 1: expected one command per list entry, got a mapping with 2 keys (project, '\\n'); "
            "start each command with '- '",
        ),
        (
            "- project: '..'",
            "project: project name '..' cannot have an empty, '.' or '..' path component",
        ),
        ("- subproject: a--b", "subproject: subproject name 'a--b' cannot contain '--'"),
        (
            "- subproject: a/../b",
            "subproject: subproject name 'a/../b' cannot have an empty, '.' or '..' path component",
        ),
        ("- subproject: [a]", "subproject: expected a string, got a list"),
        ("- cluster: a/b", "cluster: cluster name 'a/b' cannot contain '/'"),
        ("- cluster: 3", "cluster: expected a string (a cluster name) or null, got 3"),
        ("- execution: fast", "execution: expected one of process, spawn, remote, got 'fast'"),
        ("- execution: null", "execution: expected one of process, spawn, remote, got null"),
        ("- remote: local", "remote: expected one of null, daskserver, jobserver, got 'local'"),
        ("- persistent: 'yes'", "persistent: expected true or false, got 'yes'"),
        ("- record: 1", "record: expected true or false, got 1"),
        ("- nparallel: x", "nparallel: expected a positive integer, got 'x'"),
        ("- nparallel: 0", "nparallel: expected a positive integer, got 0"),
        ("- nparallel: true", "nparallel: expected a positive integer, got true"),
        ("- nparallel: 2.5", "nparallel: expected a positive integer, got 2.5"),
        ("- node: ' '", "node: expected a non-empty string (a node name) or null, got ' '"),
        ("- queue: 7", "queue: expected a string (a queue name), got 7"),
        (
            "- clusters: [a]",
            "clusters: expected a mapping of cluster names to cluster definitions, got a list",
        ),
        (
            "- inherit_from_parent: yes please",
            "inherit_from_parent: takes no value: write '- inherit_from_parent'",
        ),
        (
            "- stage s:\n    - inherit_from_parent",
            "stage s: inherit_from_parent: only works at the top level of a file, not inside a stage block",
        ),
        ("- queue: excl", "queue: cannot select a queue before a cluster: put a 'cluster' command above it"),
        ("- cluster: hpc\n- queue: nope", "queue: cluster 'hpc' has no queue 'nope' (queues: default, excl)"),
        ("- cluster: mylocal\n- queue: q", "queue: cluster 'mylocal' has no queues"),
        ("- cluster: ghost\n- queue: q", "queue: cluster 'ghost' is not defined (clusters: mylocal, hpc)"),
        # An error inside a block is reported whatever the stage: the file is wrong either way.
        (
            "- stage other:\n    - nparallel: x",
            "stage other: nparallel: expected a positive integer, got 'x'",
        ),
        (
            "- stage a:\n    - stage b:\n        - projet: p",
            f"stage a: stage b: entry 1: unknown command 'projet' (commands: {COMMANDS})",
        ),
        ("- project: [unclosed", "line 2, column 1: invalid YAML: did not find expected ',' or ']'"),
        ("- project: p\n project: q", "line 2, column 2: invalid YAML: did not find expected '-' indicator"),
        (
            "- !!python/object:os.system x",
            "line 1, column 3: invalid YAML: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object:os.system'",
        ),
    ],
)
def test_mistakes_name_file_command_and_expectation(world: World, text: str, message: str) -> None:
    world.clusters(EXAMPLE_CLUSTERS)
    path = world.commands(text, profile=True)
    assert world.error() == f"{path}: {message}"


def test_a_file_that_is_not_text_or_not_readable(world: World) -> None:
    path = world.project / "seamless.yaml"
    path.write_bytes(b"- project: \xff\xfe\n")
    assert world.error() == f"{path}: not a UTF-8 text file"
    path.unlink()
    path.mkdir()
    assert world.error() == f"{path}: cannot read the file (Is a directory)"


def test_seamless_yaml_mistakes_name_seamless_yaml(world: World) -> None:
    world.commands("- project: p", profile=True)
    path = world.commands("- nparallel: many")
    assert world.error() == f"{path}: nparallel: expected a positive integer, got 'many'"
