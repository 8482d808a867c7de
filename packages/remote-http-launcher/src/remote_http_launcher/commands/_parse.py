"""The one strict parser of the command table: what every helper, the guard and the batch use.

It accepts only the plain, unambiguous forms: ``--opt VALUE``, ``--opt=VALUE``, flags, ``--``,
positional arguments. It refuses, with a reason: an unknown option, an abbreviated one
(``--workd``; click never expanded prefixes either, argparse does, and the guard must see
exactly what runs), an option given twice (only ``multi`` options repeat), a flag with a
value, a value that looks like an option (``--status -x``: write ``--status=-x``), missing or
extra arguments, and values that fail their check (keys, simple file names, integer and
finite float ranges, choices).
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

import math  # built into the interpreter: no import cost

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from ._table import Command


class ParseError(Exception):
    """``argv`` does not parse: ``reason`` is one line (without the command's name)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def finite_float(text: str) -> float:
    """``text`` as a finite float, else :class:`ValueError` with the message users see.

    The one check behind every float option: ``float()`` accepts ``nan``, ``inf``, ``-inf`` and
    ``1e400`` (read as inf), and a range check lets NaN through because every comparison with
    NaN is false (a NaN grace made rhl-stop never escalate).
    """
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid float.") from None
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number.")
    return number


def is_simple_filename(value: str) -> bool:
    return "/" not in value and value not in ("", ".", "..") and "\0" not in value


def convert(check: "Any", value: str) -> "Any":
    """``value`` converted by ``check`` (see :mod:`._table`), or :class:`ValueError`."""
    if check == "str":
        return value
    if check == "key":
        from ..errors import RhlError
        from ..paths import validate_key

        try:
            return validate_key(value)
        except RhlError as exc:
            raise ValueError(exc.message) from None
    if check == "filename":
        if not is_simple_filename(value):
            raise ValueError("requires a simple filename")
        return value
    kind = check[0]
    if kind == "choice":
        if value not in check[1]:
            raise ValueError(f"{value!r} is not one of {', '.join(check[1])}")
        return value
    low, high = check[1], check[2]
    number: int | float
    if kind == "int":
        try:
            number = int(value, 10)
        except ValueError:
            raise ValueError(f"{value!r} is not a valid integer.") from None
    else:
        number = finite_float(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{value} is out of range")
    return number


def _bad_arguments(name: str) -> "ParseError":
    return ParseError(
        f"arguments not accepted (wrong number of arguments, or an invalid key or value); see '{name} --help'"
    )


def parse(command: "Command", argv: "Sequence[str]") -> "dict[str, Any]":
    """The keyword arguments of ``command``'s body for ``argv``, or :class:`ParseError`."""
    options = command.option_map()
    values: dict[str, Any] = {}
    positionals: list[str] = []
    options_done = False
    index, count = 0, len(argv)
    while index < count:
        token = argv[index]
        index += 1
        if options_done or token == "-" or not token.startswith("-"):
            positionals.append(token)
            if not command.interspersed:
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
            spelled = sorted(o for o in options if o.startswith(name) and o != name)
            if spelled and name.startswith("--") and len(name) > 2:
                raise ParseError(f"abbreviated option {name!r}: write it in full ({', '.join(spelled)})")
            raise ParseError(f"unknown option {name!r}")
        if option.dest in values and option.kind != "multi":
            raise ParseError(f"option {name!r} given more than once")
        if option.kind == "flag":
            if has_inline:
                raise ParseError(f"option {name!r} takes no value")
            values[option.dest] = True
            continue
        if has_inline:
            value = inline
        else:
            if index >= count or (argv[index].startswith("-") and argv[index] != "-"):
                raise ParseError(f"option {name!r} requires a value")
            value = argv[index]
            index += 1
        try:
            converted = convert(option.check, value)
        except ValueError:
            raise _bad_arguments(command.name) from None
        if option.kind == "multi":  # a repeatable option: every value, in order
            values[option.dest] = (*values.get(option.dest, ()), converted)
        else:
            values[option.dest] = converted
    for option in command.options:
        if option.dest in values:
            continue
        if option.required:
            raise ParseError(f"missing option {option.flags[-1]!r}")
        values[option.dest] = (
            () if option.kind == "multi" else (False if option.kind == "flag" else option.default)
        )
    fixed = [a for a in command.arguments if a.nargs == 1]
    rest = [a for a in command.arguments if a.nargs == -1]
    if rest:
        if len(positionals) < len(fixed) + (1 if rest[0].required else 0):
            raise _bad_arguments(command.name)
    elif len(positionals) != len(fixed):
        raise _bad_arguments(command.name)
    try:
        for argument in fixed:
            values[argument.dest] = convert(argument.check, positionals.pop(0))
        if rest:
            values[rest[0].dest] = tuple(convert(rest[0].check, p) for p in positionals)
    except ValueError:
        raise _bad_arguments(command.name) from None
    return values
