"""A click-free argument parser for the helpers' hot path and for the guard.

The click command definitions stay the single source of truth: ``_genhelp.py`` turns each
command's parameters into a plain-data spec (``_specs.py``), and this parser reads argv with
that spec. It accepts only the plain, unambiguous forms (``--opt VALUE``, ``--opt=VALUE``,
flags, ``--``, positional arguments) and raises :class:`NotFast` for everything else —
unknown or repeated options, values that look like options, counts that do not fit, values
that fail validation. The helper then lets click parse the same argv and word the error; the
guard simply refuses. A property test checks that whatever this parser accepts, click accepts
with the same values.
"""

from __future__ import annotations

import math  # built into the interpreter: no import cost

from ..errors import RhlError
from ..paths import validate_key

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any


class NotFast(Exception):
    """This argv is not for the fast path: let click parse (and word the error)."""


def _is_simple_filename(value: str) -> bool:
    return "/" not in value and value not in ("", ".", "..") and "\0" not in value


def finite_float(text: str) -> float:
    """``text`` as a finite float, else :class:`ValueError` with the message users see.

    The one check behind every float option: the fast path, the click types
    (``_base.FiniteFloatRange``) and therefore the guard all refuse ``nan``, ``inf``, ``-inf``
    and ``1e400`` (read as inf) through it. ``float()`` accepts them, and a range check lets
    NaN through because every comparison with NaN is false.
    """
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid float.") from None
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number.")
    return number


def _convert(check: Any, value: str) -> Any:
    if check == "str":
        return value
    if check == "key":
        try:
            return validate_key(value)
        except RhlError:
            raise NotFast from None
    if check == "filename":
        if not _is_simple_filename(value):
            raise NotFast
        return value
    kind, low, high = check
    try:
        number: int | float = int(value, 10) if kind == "int" else finite_float(value)
    except ValueError:
        raise NotFast from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise NotFast
    return number


def parse(spec: dict[str, Any], argv: list[str]) -> dict[str, Any]:
    """The keyword arguments of the command body for ``argv``, or :class:`NotFast`."""
    options: dict[str, Any] = spec["options"]
    values: dict[str, Any] = {}
    positionals: list[str] = []
    options_done = False
    index, count = 0, len(argv)
    while index < count:
        token = argv[index]
        index += 1
        if options_done or token == "-" or not token.startswith("-"):
            positionals.append(token)
            if not spec["interspersed"]:
                options_done = True
            continue
        if token == "--":
            options_done = True
            continue
        if token.startswith("--"):
            name, has_inline, inline = token.partition("=")
        else:
            name, has_inline, inline = token, "", ""
        option = options.get(name)
        if option is None:
            raise NotFast
        dest, kind, check = option
        if dest in values and kind != "multi":
            raise NotFast  # repeated: click would silently keep the last one
        if kind == "flag":
            if has_inline:
                raise NotFast
            values[dest] = True
            continue
        if has_inline:
            value = inline
        else:
            if index >= count:
                raise NotFast
            value = argv[index]
            index += 1
            if value.startswith("-") and value != "-":
                raise NotFast
        if kind == "multi":  # a repeatable option: every value, in order
            values[dest] = (*values.get(dest, ()), _convert(check, value))
        else:
            values[dest] = _convert(check, value)
    if any(dest not in values for dest in spec["required"]):
        raise NotFast
    for dest, default in spec["defaults"].items():
        values.setdefault(dest, default)
    arguments: list[Any] = spec["arguments"]
    fixed = [a for a in arguments if a[1] == 1]
    variadic = [a for a in arguments if a[1] == -1]
    if variadic:
        needed = len(fixed) + (1 if variadic[0][2] else 0)
        if len(positionals) < needed:
            raise NotFast
    elif len(positionals) != len(fixed):
        raise NotFast
    for dest, _nargs, _required, check in fixed:
        values[dest] = _convert(check, positionals.pop(0))
    if variadic:
        dest, _nargs, _required, check = variadic[0]
        values[dest] = tuple(_convert(check, p) for p in positionals)
    return values
