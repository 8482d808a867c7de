"""JSON text in and out through CPython's C codec, without importing :mod:`json`.

``import json`` imports ``re`` (and with it ``enum``, ``functools``, ``collections``): 3 ms on
a quiet machine and up to 8 ms on a busy one, on every helper call that prints a row or reads
a state file, which is most of them. The work itself is done by the C accelerator ``_json``
that :mod:`json` uses too; this module calls it directly, with exactly the settings
``json.dumps(value, sort_keys=True, allow_nan=False)`` and ``json.JSONDecoder(...).decode``
would use, and falls back to :mod:`json` where the accelerator is missing or has another
signature (tests/rhl/test_jsontext.py checks the results against :mod:`json`). Errors are
:mod:`json`'s own (``JSONDecodeError`` for malformed text, the accelerator's ``ValueError``
for NaN), so messages do not change. No circular-reference check: what we print is parsed
JSON and dicts we build, never circular (a cycle would end in ``RecursionError``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

#: JSON's whitespace (RFC 8259), what :mod:`json` skips around a document.
_WHITESPACE = " \t\n\r"

_ENCODERS: dict[bool, Callable[[Any], str]] = {}


def _refuse_default(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _make_encoder(sort_keys: bool) -> Callable[[Any], str]:
    try:
        import _json

        c_encode = _json.make_encoder(
            None, _refuse_default, _json.encode_basestring_ascii, None, ": ", ", ", sort_keys, False, False
        )
        c_encode({"probe": [1, 2.5, "é", None, True]}, 0)  # the signature is the one we know
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another interpreter
        import json

        return json.JSONEncoder(sort_keys=sort_keys, allow_nan=False).encode

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return _json.encode_basestring_ascii(value)  # type: ignore[no-any-return]
        return "".join(c_encode(value, 0))

    return encode


def dumps(value: Any, *, sort_keys: bool = True) -> str:
    """``json.dumps(value, sort_keys=sort_keys, allow_nan=False)``: one line, ASCII only."""
    encoder = _ENCODERS.get(sort_keys)
    if encoder is None:
        encoder = _ENCODERS[sort_keys] = _make_encoder(sort_keys)
    return encoder(value)


def dumps_indented(value: Any) -> str:
    """``json.dumps(value, indent=2, sort_keys=True, allow_nan=False)``, the format of state
    files: the layout here (the C accelerator cannot indent), every scalar through
    :func:`dumps`. A mapping with a key that is not a string goes to :mod:`json` itself (its
    key conversions), and so does a value it refuses (NaN, an object: json's own error)."""
    chunks: list[str] = []
    try:
        if _indented(value, "\n", chunks):
            return "".join(chunks)
    except (TypeError, ValueError):
        pass
    import json

    return json.dumps(value, indent=2, sort_keys=True, allow_nan=False)


def _indented(value: Any, newline: str, out: list[str]) -> bool:
    """Append ``value`` at the indentation after ``newline``; False: a non-string key."""
    if isinstance(value, str):
        out.append(dumps(value))
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return True
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            out.append(separator)
            if not _indented(item, inner, out):
                return False
            separator = "," + inner
        out.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return True
        if not all(isinstance(key, str) for key in value):
            return False
        inner = newline + "  "
        separator = "{" + inner
        for key in sorted(value):
            out.append(separator + dumps(key) + ": ")
            if not _indented(value[key], inner, out):
                return False
            separator = "," + inner
        out.append(newline + "}")
    else:
        out.append(dumps(value))  # None, bool, int, float; TypeError/ValueError as json's
    return True


class _Context:
    """The attributes ``_json.make_scanner`` reads from a decoder."""

    def __init__(self, parse_float: Callable[[str], Any], parse_constant: Callable[[str], Any]) -> None:
        self.strict = True
        self.object_hook = None
        self.object_pairs_hook = None
        self.parse_float = parse_float
        self.parse_int = int
        self.parse_constant = parse_constant


def make_decoder(
    parse_float: Callable[[str], Any], parse_constant: Callable[[str], Any]
) -> Callable[[str], Any]:
    """``json.JSONDecoder(parse_float=..., parse_constant=...).decode``, same results and
    errors (``JSONDecodeError`` with json's message and position)."""
    try:
        import _json

        scan = _json.make_scanner(_Context(parse_float, parse_constant))  # type: ignore[arg-type]
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another interpreter
        import json

        return json.JSONDecoder(parse_float=parse_float, parse_constant=parse_constant).decode

    def error(message: str, text: str, position: int) -> Exception:
        from json import JSONDecodeError

        return JSONDecodeError(message, text, position)

    def decode(text: str) -> Any:
        start = len(text) - len(text.lstrip(_WHITESPACE))
        try:
            value, end = scan(text, start)
        except StopIteration as exc:
            raise error("Expecting value", text, exc.value) from None
        except SystemError:
            # The accelerator raises its JSONDecodeError through the class of the module
            # json.decoder, which it only finds once that module is imported (malformed
            # text is rare: import it then, and scan again to get json's error).
            import json.decoder  # noqa: F401

            value, end = scan(text, start)
        rest = text[end:]
        trailing = rest.lstrip(_WHITESPACE)
        if trailing:
            raise error("Extra data", text, end + len(rest) - len(trailing))
        return value

    return decode
