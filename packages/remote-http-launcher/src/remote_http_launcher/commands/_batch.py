"""rhl-batch: several helper command lines in one process (one SSH round trip per host).

Every line is split and parsed before any runs, so a line that would not run alone stops
the whole batch (usage error, exit 2, nothing done). The guard decides every line exactly as
if it came alone and then hands its checked values to :func:`run_items`, so both routes run
the same code after the decision.

``--each TEMPLATE`` (:func:`expand_each`): a helper line with ``{key}`` words, run once for
every server state file whose meta the template's ``--meta-*`` selection picks (the rule of
``rhl-stop --meta-cluster``, :func:`..selection.meta_matches`), minus its ``--except`` keys.
Why: a client that learns the keys only from this batch's own ``rhl-ps`` (the doctor: the
instances of other stages, ``ro`` ones) would need a second round trip to ask about them;
with a template it asks in the same one. Each expanded line is an ordinary line from then on:
parsed (under rhl-guard: decided) exactly as if it came alone, answered as its own record
(with ``each`` and ``key`` added), and the expansion happens once, before anything runs, so
what runs is exactly what was checked.
"""

from __future__ import annotations

from ..errors import UsageProblem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

NAME = "rhl-batch"
#: Helpers that never run inside a batch: a batch in a batch (unbounded nesting), and the
#: launch (it forks a supervisor and waits for a service: it needs its own call).
NOT_BATCHABLE = frozenset([NAME, "rhl-launch-service"])


def split_line(line: str, helpers: Sequence[str] | frozenset[str]) -> list[str]:
    """The words of one batch line, or :class:`UsageProblem` saying why it cannot run.

    Split as a POSIX shell would (``_words.split``), but nothing is a shell here: unquoted
    shell syntax and ``NAME=value`` prefixes are refused, the first word must be a helper of
    this installation by exact name, and not one of :data:`NOT_BATCHABLE`.
    """
    from ._words import TokenError, split

    try:
        words = split(line)
    except TokenError as exc:
        raise UsageProblem(f"line {line!r}: {exc}") from None
    if not words:
        raise UsageProblem(f"line {line!r}: empty command line")
    for _word, specials in words:
        if specials:
            raise UsageProblem(
                f"line {line!r}: shell syntax is not supported (no shell runs): {specials[0]!r}"
            )
    name = words[0][0]
    if name in NOT_BATCHABLE:
        raise UsageProblem(f"line {line!r}: {name} cannot run inside rhl-batch")
    if name not in helpers:
        raise UsageProblem(f"line {line!r}: not an rhl-* helper of this installation: {name[:120]!r}")
    return [word for word, _ in words]


def follows(name: str, values: dict[str, Any] | None) -> bool:
    """``rhl-logs --follow`` never ends: refused in a batch, whose output comes at the end."""
    return name == "rhl-logs" and bool(values and values.get("follow"))


def record(argv: list[str], rc: int, stdout: str, stderr: str, tag: Tag | None = None) -> str:
    """One output line: ``{"argv", "rc", "stdout", "stderr"}`` (NDJSON, keys sorted); a line
    expanded from ``--each`` also has ``each`` (the template's index, from 0) and ``key``."""
    from ..output import ndjson

    fields: dict[str, Any] = {"argv": argv, "rc": rc, "stdout": stdout, "stderr": stderr}
    if tag is not None:
        fields["each"], fields["key"] = tag
    return ndjson([fields])


# -- --each templates -------------------------------------------------------------------------

#: The word of a template's helper line that each selected key replaces (a whole word only).
KEY_WORD = "{key}"
#: A valid key put in a template's ``{key}`` words to check the template before expanding it:
#: a template that could not run (or that the guard refuses) is refused even when its
#: selection picks nothing, so the answer never depends on which state files exist.
CHECK_KEY = "rhl-batch-each-check"

if TYPE_CHECKING:
    #: (template index, key) of a line expanded from ``--each``.
    Tag = tuple[int, str]
    Item = tuple[list[str], dict[str, Any] | None]


def _selection_command() -> Any:
    """The words before a template's helper line, parsed by the one strict parser: the
    ``--meta-*`` options of rhl-stop (same names, same meaning) and ``--except KEY``."""
    from ._table import Argument, Command, Option, _meta_options

    return Command(
        "rhl-batch --each",
        help="",
        options=(
            *_meta_options("select"),
            Option(("--except",), "except_keys", "multi", check="key", metavar="KEY"),
        ),
        arguments=(Argument("line", nargs=-1, required=False),),
        interspersed=False,  # the helper's name ends the selection; its own options follow
    )


def each_template(template: str) -> tuple[dict[str, str], frozenset[str], list[str]]:
    """One ``--each TEMPLATE``: (the meta fields it selects, its ``--except`` keys, the helper
    line's words with ``{key}`` in them), or :class:`UsageProblem` saying why it cannot run."""
    from ..selection import wanted_fields
    from ._parse import ParseError, parse
    from ._table import HELPERS
    from ._words import TokenError, split

    label = f"--each {template!r}"
    try:
        words = split(template)
    except TokenError as exc:
        raise UsageProblem(f"{label}: {exc}") from None
    for word, specials in words:
        # An unquoted {key} word is allowed: a shell, too, would keep it as it is.
        if specials and not (word == KEY_WORD and specials == "{}"):
            raise UsageProblem(f"{label}: shell syntax is not supported (no shell runs): {specials[0]!r}")
    try:
        values = parse(_selection_command(), [word for word, _ in words])
    except ParseError as exc:
        raise UsageProblem(f"{label}: {exc.reason}") from None
    wanted = wanted_fields(values)
    if "cluster" not in wanted:
        raise UsageProblem(f"{label}: --meta-cluster NAME is required (the selection of rhl-stop)")
    line: list[str] = list(values["line"])
    if not line:
        raise UsageProblem(f"{label}: no helper command line after the selection")
    name = line[0]
    if name in NOT_BATCHABLE:
        raise UsageProblem(f"{label}: {name} cannot run inside rhl-batch")
    if name not in HELPERS:
        raise UsageProblem(f"{label}: not an rhl-* helper of this installation: {name[:120]!r}")
    if any(KEY_WORD in word and word != KEY_WORD for word in line):
        raise UsageProblem(f"{label}: {KEY_WORD} must be a whole word")
    if KEY_WORD not in line[1:]:
        raise UsageProblem(f"{label}: the command line has no {KEY_WORD} word")
    return wanted, frozenset(values.get("except_keys") or ()), line


def _meta_rows(server_dir: str) -> list[tuple[str, object]]:
    """(key, meta) of every server state file in ``server_dir``, in file order, read as
    ``rhl-ps`` reads it (:func:`..listing.server_row` without probing processes: a corrupt
    file has no meta); a file whose name is not a valid key is left out (it could not be
    named on a command line)."""
    import os

    from .. import listing, paths, state
    from ..errors import InvalidKey

    rows: list[tuple[str, object]] = []
    for key in state.list_keys(server_dir):
        try:
            paths.validate_key(key)
        except InvalidKey:
            continue
        read = state.read_state(os.path.join(server_dir, key + ".json"))
        if not read.missing:
            rows.append((key, listing.server_row(key, read, probe=False).get("meta")))
    return rows


def expand_each(
    templates: Sequence[str], server_dir: str
) -> tuple[list[list[str]], list[tuple[Tag, list[str]]]]:
    """The ``--each`` templates: (one check line per template: its ``{key}`` words set to
    :data:`CHECK_KEY`; the expanded lines: per template in order, per selected key in file
    order, ``((index, key), words)``). The state directory is read once, here, before
    anything runs: both rhl-batch and rhl-guard run exactly what this returned."""
    from ..selection import meta_matches

    parsed = [each_template(template) for template in templates]
    checks = [[CHECK_KEY if word == KEY_WORD else word for word in line] for _w, _e, line in parsed]
    expanded: list[tuple[Tag, list[str]]] = []
    rows = _meta_rows(server_dir) if parsed else []
    for index, (wanted, excepted, line) in enumerate(parsed):
        for key, meta in rows:
            if key not in excepted and meta_matches(meta, wanted):
                expanded.append(((index, key), [key if word == KEY_WORD else word for word in line]))
    return checks, expanded


def _item(words: list[str], label: str) -> Item:
    """Parse one line's words: ``(words, values)`` (values None: ``--help``/``--version``)."""
    from ._run import UsageError, info_request, parse

    name, argv = words[0], words[1:]
    if info_request(name, argv) is not None:
        return words, None
    try:
        values = parse(name, argv)
    except UsageError as exc:
        raise UsageProblem(f"{label}: {name}: {exc.message}") from None
    if follows(name, values):
        raise UsageProblem(f"{label}: rhl-logs --follow cannot run inside rhl-batch")
    return words, values


def batch_items(lines: Sequence[str], each: Sequence[str] = ()) -> tuple[list[Item], list[Tag | None]]:
    """Split and parse every line, then the ``--each`` templates' expanded lines: the items
    ``[(words, values)]`` (values None: ``--help``/``--version``) and their tags (None for a
    line, ``(index, key)`` for an expanded one).

    Raises :class:`..errors.UsageProblem` for the first line or template that could not
    run, before anything runs.
    """
    from .. import paths
    from ._table import HELPERS
    from ._words import join

    items = [_item(split_line(line, HELPERS), f"line {line!r}") for line in lines]
    tags: list[Tag | None] = [None] * len(items)
    checks, expanded = expand_each(each, paths.server_dir())
    for template, words in zip(each, checks):
        _item(words, f"--each {template!r}")
    for tag, words in expanded:
        items.append(_item(words, f"line {join(words)!r} (--each {each[tag[0]]!r})"))
        tags.append(tag)
    return items, tags


#: The seeds' PATH prepend, as the remote shell expands it (``$HOME`` from the environment).
_PREPEND_DIRS = ("miniforge3/bin", "miniconda3/bin")


def _plain_probe() -> dict[str, Any] | None:
    """What ``rhl-ps --version`` answers on the PATH the remote shell had before the seeds'
    prepend, or None when PATH does not start with the prepend (then that PATH is unknown).

    The same lookup the shell makes for a call without the prepend (first executable
    ``rhl-ps`` on that PATH; rc 127 when there is none), and the found one really runs, so
    the answer is the one ``ssh HOST 'rhl-ps --version'`` would give, without that call."""
    import os
    import shutil
    import subprocess

    home = os.environ.get("HOME", "")
    prefix = "".join(f"{home}/{directory}:" for directory in _PREPEND_DIRS)
    path = os.environ.get("PATH", "")
    if not home or not path.startswith(prefix):
        return None
    plain = path[len(prefix) :]
    argv = ["rhl-ps", "--version"]
    found = shutil.which(argv[0], path=plain)
    if found is None:
        return {"argv": argv, "rc": 127, "stdout": "", "stderr": f"{argv[0]}: not found\n"}
    try:
        done = subprocess.run(
            [found, *argv[1:]],
            env={**os.environ, "PATH": plain},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"argv": argv, "rc": 126, "stdout": "", "stderr": f"{argv[0]}: {exc}\n"}
    stdout, stderr = (raw.decode("utf-8", errors="replace") for raw in (done.stdout, done.stderr))
    return {"argv": argv, "rc": done.returncode, "stdout": stdout, "stderr": stderr}


def session_record(*, guarded: bool) -> str:
    """``--session``: ``{"session": {"guard", "forced_command", "plain"}}`` (NDJSON, keys
    sorted). ``guarded``: rhl-guard runs this batch (it says so itself: no environment
    variable a user could set fakes it); then ``plain`` is null, the guard decides what runs."""
    import os

    from ..output import ndjson

    facts = {
        "guard": "rhl-guard" if guarded else None,
        # rhl-guard is a forced command (it clears SSH_ORIGINAL_COMMAND before a helper runs).
        "forced_command": guarded or "SSH_ORIGINAL_COMMAND" in os.environ,
        "plain": None if guarded else _plain_probe(),
    }
    return ndjson([{"session": facts}])


def run_items(
    items: Sequence[Item],
    *,
    session: bool = False,
    guarded: bool = False,
    tags: Sequence[Tag | None] | None = None,
) -> int:
    """Run parsed items in order, each with its own captured stdout/stderr; print one record
    per item on ``sys.stdout`` as soon as it is done (the guard calls this with the values it
    checked, and ``guarded``); ``tags``: the ``--each`` tag of each item (None: a line);
    ``session``: then the session record."""
    import io
    import sys

    from ..output import out
    from ._run import info_request, render_info, run_parsed

    for index, (words, values) in enumerate(items):
        name, argv = words[0], words[1:]
        raw = io.BytesIO()
        inner_out = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", write_through=True)
        inner_err = io.StringIO()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = inner_out, inner_err
        try:
            if values is None:
                inner_out.write(render_info(name, info_request(name, argv) or "help"))
                code = 0
            else:
                code = run_parsed(name, values)
        finally:
            sys.stdout, sys.stderr = saved
        inner_out.flush()
        tag = tags[index] if tags is not None else None
        out(record(words, code, raw.getvalue().decode("utf-8", errors="replace"), inner_err.getvalue(), tag))
        sys.stdout.flush()
    if session:
        out(session_record(guarded=guarded))
    return 0


def run(lines: tuple[str, ...], session: bool = False, each: tuple[str, ...] = ()) -> int:
    """The body of ``rhl-batch``."""
    items, tags = batch_items(lines, each)
    return run_items(items, session=session, tags=tags)
