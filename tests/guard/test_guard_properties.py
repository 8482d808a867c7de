"""Property tests of the guard's decision: 17,500 generated commands in total.

The decision function runs in-process (no process per example), against a real directory
tree with roots, markers and symlinks that escape. Properties:

* nothing outside the fixed table is ever accepted, whatever the bytes;
* an accepted command is exactly what the helper's own parser makes of it (same values);
* every path an accepted path helper will use resolves inside a root allowed for that use,
  passes the always-on rules, and (marker policy) holds a real marker;
* an accepted ``rhl-launch-service`` gives its service no path outside the policy, nothing in
  the state directory but the key's own state file (and that only as ``--status-file``), and
  no abbreviated, repeated or unknown option of a declared service;
* a command with any control character, or shell syntax outside quotes, is refused;
* deciding never raises and never changes the file system.
"""

from __future__ import annotations

import os
import pathlib
import shlex
import tempfile
from collections.abc import Iterator
from typing import cast

import pytest
from guardkit import Tree, table_spec
from guardkit import parse_spec as parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remote_http_launcher.guard._decide import PATH_HELPERS, TABLE, decide, is_assignment, split
from remote_http_launcher.paths import SYSTEM_ROOTS
from remote_http_launcher.policy.base import PathPolicy
from remote_http_launcher.policy.data_roots import DataRootsPolicy
from remote_http_launcher.policy.service_args import SERVICES, STATE, ServiceArguments, names_a_path

SPECS = {name: table_spec(name) for name in TABLE}  # the command table, as plain data


def fast(examples: int) -> settings:
    """Fixed example counts (they add up to the 12,000+ promised in CI), no deadline, no
    example database: the run is the same everywhere."""
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )


@pytest.fixture(scope="module")
def world() -> Iterator[Tree]:
    """One tree for the module (hypothesis examples must not depend on function fixtures)."""
    old_home = os.environ.get("HOME")
    with tempfile.TemporaryDirectory(prefix="rhl-guard-props-") as tmp:
        tree = Tree(pathlib.Path(tmp))
        os.environ["HOME"] = str(tree.home)
        try:
            yield tree
        finally:
            if old_home is None:
                os.environ.pop("HOME", None)
            else:
                os.environ["HOME"] = old_home


HELPER_NAMES = [
    *sorted(TABLE),
    "rhl-guard",
    "rhl-ps-",
    "rhl-p",
    "RHL-PS",
    "rhl-example-service",
    "remote-http-launcher",
    "bash",
    "sh",
    "kill",
    "rm",
    "env",
    "python3",
    "/usr/bin/rhl-ps",
    "./rhl-ps",
]
_all_options = sorted({opt for spec in SPECS.values() for opt in spec["options"]})
WORDS = [
    *_all_options,
    *(opt[: max(3, len(opt) - 2)] for opt in _all_options),  # abbreviations
    *(opt + "=1" for opt in _all_options),
    "--",
    "-",
    "-h",
    "--help",
    "--version",
    "-k",
    "k",
    "key-1",
    ".k",
    "0",
    "1",
    "-1",
    "2.5",
    "nan",
    "127.0.0.1",
    "localhost",
    "192.0.2.77",
    "http://localhost:1/",
    "http://192.0.2.77/",
    "hashserver",
    "rhl-example-service",
    "{}",
    '{"a": 1}',
    ";",
    "|",
    "&&",
    "$(id)",
    "`id`",
    ">",
    "<",
    "*",
    "~",
    "~/x",
    "..",
    ".",
    "",
    " ",
    "a b",
    "PATH=$HOME/bin:$PATH",
]
# Path building blocks: inside, outside, through escaping symlinks, with dots and homes.
SEGMENTS = [
    "proj",
    "STAGE-a",
    "STAGE-b",
    "plain",
    "escape",
    "escape-marked",
    "fake",
    "sub",
    ".hidden",
    ".ssh",
    "..",
    ".",
    "",
    "new",
    "x",
]


def _path_bases(tree: Tree) -> list[str]:
    return [
        str(tree.data),
        str(tree.shared),
        str(tree.work),
        str(tree.outside),
        str(tree.outside_marked),
        str(tree.home),
        str(tree.tmp),
        "~",
        "~/data",
        "/",
        "/etc",
        "/tmp",
        "/usr/local",
        "relative",
    ]


#: Weights: half of the generated paths start inside a root, so that accepted paths are common.
_INSIDE_SEGMENTS = ["proj", "proj", "STAGE-a", "STAGE-b", "new", "sub"]


@st.composite
def paths(draw: st.DrawFn, tree: Tree) -> str:
    if draw(st.booleans()):
        base = draw(st.sampled_from([str(tree.data), str(tree.data), str(tree.work), str(tree.shared)]))
        tail = draw(st.lists(st.sampled_from(_INSIDE_SEGMENTS + SEGMENTS[:8]), max_size=3))
        return "/".join([base, *tail]) if tail else base
    base = draw(st.sampled_from(_path_bases(tree)))
    tail = draw(st.lists(st.sampled_from(SEGMENTS), max_size=4))
    return "/".join([base, *tail]) if tail else base


def _quote(draw: st.DrawFn, word: str) -> str:
    style = draw(st.sampled_from(["shlex", "raw", "double", "single"]))
    if style == "shlex":
        return shlex.quote(word)
    if style == "raw":
        return word
    if style == "double":
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "'" + word.replace("'", "'\\''") + "'"


@st.composite
def structured_commands(draw: st.DrawFn, tree: Tree) -> str:
    prefix = draw(st.lists(st.sampled_from(["PATH=$HOME/miniforge3/bin:$PATH", "LANG=C", "X=1", "A=$(id)"])))
    helper = draw(st.sampled_from(HELPER_NAMES))
    words = draw(
        st.lists(
            st.one_of(st.sampled_from(WORDS), paths(tree), st.text(min_size=0, max_size=8)),
            max_size=8,
        )
    )
    quoted = [_quote(draw, w) for w in [helper, *words]]
    return " ".join([*prefix, *quoted])


_POLICIES: dict[tuple[str, str], PathPolicy] = {}


def _policy(tree: Tree, name: str) -> PathPolicy:
    key = (str(tree.tmp), name)
    if key not in _POLICIES:
        _POLICIES[key] = tree.policy(name)
    return _POLICIES[key]


def _value(draw: st.DrawFn, tree: Tree, helper: str, check: object) -> str:
    """A plausible (sometimes wrong) value for a parameter with the spec's ``check``."""
    if check == "key":
        return draw(st.sampled_from(["k", "hashserver-proj-1", "a.b_c-d", "-k", ".k", "k/x", "k" * 201]))
    if check == "filename":
        return draw(st.sampled_from(["seamless.db", ".HASHSERVER_PREFIX", "f", "a/b", "..", ""]))
    if isinstance(check, tuple):
        kind, low, _high = check
        number = draw(st.sampled_from([0, 1, 2, 5, 100, 1000, -1]))
        text = str(number) if kind == "int" else draw(st.sampled_from([str(number), "0.5", "nan", "inf"]))
        return text if low is None or draw(st.booleans()) else str(low)
    if helper in PATH_HELPERS:
        return draw(paths(tree))
    return draw(
        st.sampled_from(
            [
                "localhost",
                "127.0.0.1",
                "::1",
                "0.0.0.0",
                "192.0.2.77",
                "example.com",
                "8080",
                "123",
                "http://localhost:8080/",
                "http://192.0.2.77/",
                "x",
                "running",
                "-",
            ]
        )
    )


@st.composite
def spec_commands(draw: st.DrawFn, tree: Tree) -> str:
    """Commands built from each helper's own spec, then sometimes damaged: many are valid."""
    helper = draw(st.sampled_from(sorted(TABLE & set(SPECS))))
    spec = SPECS[helper]
    argv: list[str] = []
    for option, (dest, kind, check) in spec["options"].items():
        if dest not in spec["required"] and draw(st.integers(0, 3)) != 0:
            continue
        if kind == "flag":
            argv.append(option)
        elif draw(st.booleans()):
            argv += [option, _value(draw, tree, helper, check)]
        else:
            argv.append(f"{option}={_value(draw, tree, helper, check)}")
    positionals: list[str] = []
    for _dest, nargs, _required, check in spec["arguments"]:
        count = 1 if nargs == 1 else draw(st.integers(0, 3))
        positionals += [_value(draw, tree, helper, check) for _ in range(count)]
    if helper == "rhl-launch-service":
        argv += ["--", "hashserver", *positionals]
    else:
        argv += positionals
    damage = draw(st.integers(0, 9))
    if damage == 0 and argv:  # abbreviate or repeat a word, or slip in a hostile one
        index = draw(st.integers(0, len(argv) - 1))
        argv.insert(index, draw(st.sampled_from([argv[index], argv[index][:-1], ";", "$(id)", "--x"])))
    prefix = draw(st.sampled_from(["", "PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH "]))
    return prefix + " ".join(_quote(draw, w) for w in [helper, *argv])


def _own_state(tree: Tree, key: str = "k") -> str:
    return os.path.realpath(tree.home / ".remote-http-launcher" / "server" / f"{key}.json")


def _check_accepted_paths(tree: Tree, outcome_paths: list[tuple[str, str, str]], policy: str) -> None:
    home = os.path.realpath(tree.home)
    roots = cast(DataRootsPolicy, _policy(tree, "data-roots")).roots
    for raw, kind, resolved in outcome_paths:
        if kind == "state":  # a service's --status-file: exactly the key's own state file
            assert resolved.startswith(os.path.realpath(tree.home / ".remote-http-launcher" / "server") + "/")
            continue
        assert not resolved.startswith(os.path.realpath(tree.home / ".remote-http-launcher") + "/")
        if kind == "write" and resolved != os.path.realpath(os.path.expanduser(raw)):
            # the directory of a data file, located through the file (which may be a link)
            assert os.path.realpath(resolved) == resolved
        else:
            assert resolved == os.path.realpath(os.path.expanduser(raw))
        assert os.path.isabs(resolved)
        assert not any(seg.startswith(".") for seg in resolved.split("/"))
        assert not any(seg.startswith(".") for seg in os.path.expanduser(raw).split("/"))
        assert resolved not in SYSTEM_ROOTS
        assert not (home == resolved or home.startswith(resolved.rstrip("/") + "/"))
        if policy == "data-roots":
            assert any(
                kind in kinds and (resolved == root or resolved.startswith(root + "/"))
                for root, kinds in roots
            ), (raw, kind, resolved)
        if policy == "seamless" and kind == "clear":
            assert _marked(resolved), (raw, resolved)
        if policy == "seamless" and kind == "write":
            # a service may only make a marked directory of a new, empty or marked one
            assert not os.path.lexists(resolved) or _marked(resolved) or not os.listdir(resolved), resolved


def _marked(directory: str) -> bool:
    return any(
        os.path.isfile(os.path.join(directory, m)) and not os.path.islink(os.path.join(directory, m))
        for m in ("seamless.db", ".HASHSERVER_PREFIX")
    )


def _check(tree: Tree, command: str, policy: str | None) -> None:
    built = _policy(tree, policy) if policy else None
    outcome = decide(command, lambda: built)
    if not outcome.accepted:
        assert outcome.reason and outcome.reason.isprintable()
        return
    assert outcome.helper in TABLE and outcome.helper in SPECS
    assert command.isprintable()
    words = [w for w, _ in split(command)]
    while words and is_assignment(words[0]):
        words.pop(0)
    assert words == [outcome.helper, *outcome.argv]
    if outcome.info:
        assert outcome.argv in (["--help"], ["-h"], ["--version"])
        return
    assert outcome.values == parse(SPECS[outcome.helper], outcome.argv)
    if outcome.helper in PATH_HELPERS:
        assert policy is not None
        _check_accepted_paths(tree, outcome.paths, policy)
        assert len(outcome.paths) >= 1
    else:
        assert outcome.paths == []


@fast(4000)
@given(data=st.data())
def test_spec_built_commands(world: Tree, data: st.DataObject) -> None:
    policy = data.draw(st.sampled_from(["data-roots", "seamless"]))
    _check(world, data.draw(spec_commands(world)), policy)


@fast(2000)
@given(data=st.data())
def test_structured_commands_data_roots(world: Tree, data: st.DataObject) -> None:
    _check(world, data.draw(structured_commands(world)), "data-roots")


@fast(1000)
@given(data=st.data())
def test_structured_commands_seamless_and_none(world: Tree, data: st.DataObject) -> None:
    command = data.draw(structured_commands(world))
    _check(world, command, "seamless")
    _check(world, command, None)


@fast(3000)
@given(data=st.data())
def test_path_helpers_stay_inside_roots(world: Tree, data: st.DataObject) -> None:
    helper = data.draw(st.sampled_from(["rhl-clear", "rhl-ps-persistent", "rhl-launch-service"]))
    path = data.draw(paths(world))
    if helper == "rhl-clear":
        argv = [helper, path]
    elif helper == "rhl-ps-persistent":
        argv = [helper, "--json", "--level", "2", path, *data.draw(st.lists(paths(world), max_size=2))]
    else:
        argv = [helper, "--key", "k", f"--workdir={path}", "--", "hashserver"]
    command = shlex.join(argv)
    policy = data.draw(st.sampled_from(["data-roots", "seamless", "permissive"]))
    _check(world, command, policy)


@fast(2000)
@given(command=st.text(max_size=120))
def test_arbitrary_text(world: Tree, command: str) -> None:
    _check(world, command, "data-roots")
    if not command.isprintable():
        assert not decide(command, lambda: None).accepted


@fast(1000)
@given(
    head=st.sampled_from(["rhl-ps --json", "rhl-inspect k", "rhl-clear /x", "PATH=$HOME/bin:$PATH rhl-ps"]),
    bad=st.characters(codec="utf-8").filter(lambda c: not c.isprintable()),
    where=st.integers(min_value=0, max_value=40),
)
def test_any_control_character_is_refused(world: Tree, head: str, bad: str, where: int) -> None:
    position = min(where, len(head))
    outcome = decide(head[:position] + bad + head[position:], lambda: _policy(world, "data-roots"))
    assert outcome.reason is not None and outcome.reason.startswith("control character")


@fast(500)
@given(
    helper=st.sampled_from(sorted(TABLE & set(SPECS))),
    special=st.sampled_from(list(";&|<>()`$*?[]{}!")),
    tail=st.sampled_from(["", "x", " y", "id", "(id)"]),
)
def test_unquoted_shell_syntax_is_refused(world: Tree, helper: str, special: str, tail: str) -> None:
    outcome = decide(f"{helper} a{special}{tail}", lambda: _policy(world, "data-roots"))
    assert outcome.reason is not None and outcome.reason.startswith("shell syntax")


def test_deciding_touches_nothing(world: Tree) -> None:
    """Runs after (and is independent of) the properties above: a sample of decisions, then the
    tree is compared; the properties above used the same decision function."""
    before = world.snapshot()
    for command in [
        f"rhl-clear {world.data}/proj/STAGE-a",
        f"rhl-ps-persistent --level 2 {world.data}",
        f"rhl-launch-service --key k --workdir {world.work}/created -- hashserver",
        f"rhl-clear {world.data}/proj/escape",
    ]:
        for policy in ("data-roots", "seamless", "permissive"):
            decide(command, lambda p=policy: world.policy(p))  # type: ignore[misc]
    assert world.snapshot() == before
    assert not (world.work / "created").exists()


# ------------------------------------------------------------------- service arguments


def _service_words(tree: Tree, service: str) -> list[str]:
    """Words a service command line is made of: its options in full, abbreviated and in
    ``=`` form, state files (own, another key's, the default layout's), plain values, paths."""
    sd = tree.home / ".remote-http-launcher" / "server"
    spec = SERVICES.get(service)
    options = sorted(spec.options) if spec else ["--status-file", "--out", "--dir"]
    words = [*options, *(o[: max(3, len(o) - 3)] for o in options), "--", "-o", "-", "--x"]
    states = [
        f"{sd}/k.json",
        f"{sd}/victim.json",
        "~/.remote-http-launcher/server/k.json",
        f"{sd}/../server/k.json",
    ]
    words += states + [f"{o}={v}" for o in options[:4] for v in (states[1], str(tree.outside), "1")]
    words += ["1", "2", "600", "127.0.0.1", "prefix", "distributed::LocalCluster", "x", "seamless.db"]
    return words


@st.composite
def service_commands(draw: st.DrawFn, tree: Tree) -> str:
    service = draw(st.sampled_from([*sorted(SERVICES), "rhl-example-service"]))
    words = _service_words(tree, service)
    argv = draw(
        st.lists(
            st.one_of(
                st.sampled_from(words),
                paths(tree),
                paths(tree).map(lambda p: p + "/seamless.db"),
                st.tuples(st.sampled_from(words[:6]), paths(tree)).map(lambda t: f"{t[0]}={t[1]}"),
                st.sampled_from(["buffers", "sub/x", "~/x", ".", "..", "a:/b", "x;" + str(tree.outside)]),
            ),
            max_size=7,
        )
    )
    workdir = draw(st.sampled_from([f"{tree.work}/w", f"{tree.data}/proj/new", str(tree.outside)]))
    return shlex.join(["rhl-launch-service", "--key", "k", "--workdir", workdir, "--", service, *argv])


def _service_values(spec: object, args: list[str]) -> Iterator[tuple[str, str, bool]]:
    """``(kind, value, whole word)`` for every argument, walked independently of the guard:
    option values by the declared counts, positionals by position; undeclared: every word."""
    if spec is None:
        index = 0
        while index < len(args):
            word = args[index]
            index += 1
            if word == "--status-file":
                if index < len(args):
                    yield "state", args[index], True
                index += 1
            elif word.startswith("--status-file="):
                yield "state", word.partition("=")[2], False
            elif word.startswith("--") and "=" in word:
                yield "generic", word.partition("=")[2], False
            else:
                yield "generic", word, True
        return
    declared = cast(ServiceArguments, spec)
    index, positional, options_done = 0, 0, False
    while index < len(args):
        word = args[index]
        index += 1
        if not options_done and word == "--":
            options_done = True
        elif not options_done and word.startswith("-") and word != "-":
            name, equals, inline = word.partition("=")
            kind, count = declared.options.get(name, ("generic", 0))
            values = [inline] if equals else args[index : index + count]
            index += 0 if equals else count
            for value in values:
                yield kind, value, not equals
        else:
            known = positional < len(declared.positionals)
            yield (declared.positionals[positional] if known else "generic"), word, True
            positional += 1


def _places(value: str, whole: bool, workdir: str) -> list[str]:
    if whole and (value == "~" or value.startswith("~/")):
        return [os.path.realpath(os.path.expanduser(value))]
    found = [os.path.realpath(os.path.join(workdir, value))]
    if value.startswith("~") and os.path.isabs(os.path.expanduser(value)):
        found.append(os.path.realpath(os.path.expanduser(value)))
    return found


def _writable(tree: Tree, real: str, policy: str) -> bool:
    """May a service write into directory ``real`` (the property's own statement of it)?"""
    state_dir = os.path.realpath(tree.home / ".remote-http-launcher")
    if real == state_dir or real.startswith(state_dir + "/"):
        return False
    if policy == "data-roots":  # roots allowing clear or workdir: data (untagged) and work
        return any(
            real == r or real.startswith(r + "/") for r in map(os.path.realpath, (tree.data, tree.work))
        )
    return not os.path.lexists(real) or (os.path.isdir(real) and (_marked(real) or not os.listdir(real)))


def _check_service_outcome(tree: Tree, command: str, policy: str) -> None:
    _check(tree, command, policy)
    built = _policy(tree, policy)
    outcome = decide(command, lambda: built)
    if not outcome.accepted:
        return
    assert outcome.values is not None
    service, *args = outcome.values["service_argv"]
    workdir = os.path.realpath(os.path.expanduser(outcome.values["workdir"]))
    spec = SERVICES.get(service)
    if spec is not None:  # never an abbreviated, unknown or repeated option
        names = [a.partition("=")[0] for a in args[: args.index("--") if "--" in args else len(args)]]
        options = [n for n in names if n.startswith("-") and n != "-"]
        assert set(options) <= set(spec.options) and len(options) == len(set(options)), command
    for kind, value, whole in _service_values(spec, args):
        if kind == STATE:
            expanded = os.path.expanduser(value)
            assert os.path.realpath(expanded) == _own_state(tree), (value, command)
            continue
        if kind == "plain":
            assert not names_a_path(value), (value, command)
            continue
        parts = value.split(";") if kind == "readdirs" else [value]
        if kind == "generic":
            parts = [p for p in value.replace(":", ";").replace(",", ";").replace("=", ";").split(";")]
            parts = [value, *parts] if len(parts) > 1 else parts
        for part in parts:
            if (kind == "generic" and not names_a_path(part)) or not part:
                continue
            for real in _places(part, whole and part == value, workdir):
                if kind == "readdirs":
                    roots = (tree.data, tree.shared)
                    assert policy != "data-roots" or any(
                        real == r or real.startswith(r + "/") for r in map(os.path.realpath, roots)
                    ), (value, command)
                elif kind == "datafile":
                    assert _writable(tree, os.path.dirname(real), policy), (value, command)
                else:  # datadir, generic: written into; generic also as a file in its parent
                    assert _writable(tree, real, policy), (value, command)
                    if kind == "generic":
                        assert _writable(tree, os.path.dirname(real), policy), (value, command)


@fast(3000)
@given(data=st.data())
def test_service_arguments_data_roots(world: Tree, data: st.DataObject) -> None:
    _check_service_outcome(world, data.draw(service_commands(world)), "data-roots")


@fast(1000)
@given(data=st.data())
def test_service_arguments_seamless(world: Tree, data: st.DataObject) -> None:
    _check_service_outcome(world, data.draw(service_commands(world)), "seamless")


def test_service_argument_generator_reaches_acceptance(world: Tree) -> None:
    """The generated service commands are not all refused (else the properties above prove
    nothing): a fixed sample of the generator's own building blocks is accepted."""
    sd = world.home / ".remote-http-launcher" / "server"
    for argv in (
        ["hashserver", "--status-file", f"{sd}/k.json", f"{world.data}/proj/new"],
        ["hashserver", f"--status-file={sd}/k.json", "--writable", "buffers"],
        ["seamless-database", "--status-file", "~/.remote-http-launcher/server/k.json", "seamless.db"],
        ["rhl-example-service", "--status-file", f"{sd}/k.json", "x"],
    ):
        command = shlex.join(
            ["rhl-launch-service", "--key", "k", "--workdir", f"{world.work}/w", "--", *argv]
        )
        assert decide(command, lambda: _policy(world, "data-roots")).accepted, command
    assert STATE == "state"
