"""``--help`` text from the command table, with plain string formatting.

The layout is click's (a usage line, the help paragraphs indented by 2 and wrapped at 100
columns, an ``Options:`` definition list) so that the text is byte-identical to what the
helpers printed when they were click commands; tests/rhl/test_commands_table.py proves it
against click built from the same table. Word wrapping follows :mod:`textwrap`'s rules
(including its breaks after hyphens inside words) without importing it: textwrap imports
``re``, which costs more than the whole ``--help`` answer.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._table import Command, Option

WIDTH = 100
COL_MAX = 30
COL_SPACING = 2
_WP_EXTRA = frozenset("!\"'&.,?")


def _letter(char: str) -> bool:  # textwrap's [^\d\W]: word characters but digits
    return char == "_" or char.isalpha()


def _word_punct(char: str) -> bool:  # textwrap's [\w!"'&.,?]
    return char == "_" or char.isalnum() or char in _WP_EXTRA


def chunks(text: str) -> list[str]:
    """textwrap's ``wordsep_re`` split: whitespace runs, words, and word parts ending in a
    hyphen that joins two letters (``rhl-`` + ``stop``)."""
    result: list[str] = []
    index, length = 0, len(text)

    def dashes_then_word(at: int) -> bool:  # -{2,}\w at ``at``
        end = at
        while end < length and text[end] == "-":
            end += 1
        return end - at >= 2 and end < length and (text[end] == "_" or text[end].isalnum())

    while index < length:
        char = text[index]
        if char.isspace():
            end = index
            while end < length and text[end].isspace():
                end += 1
            result.append(text[index:end])
            index = end
            continue
        if char == "-" and index > 0 and _word_punct(text[index - 1]) and dashes_then_word(index):
            end = index
            while text[end] == "-":
                end += 1
            result.append(text[index:end])  # an em-dash between words
            index = end
            continue
        end = index + 1
        while True:
            if end < length and text[end] == "-":
                after = end + 1
                behind = (after >= 3 and _letter(text[after - 3]) and _letter(text[after - 2])) or (
                    after >= 4
                    and _letter(text[after - 4])
                    and text[after - 3] == "-"
                    and _letter(text[after - 2])
                )
                ahead = (
                    after < length
                    and _letter(text[after])
                    and (
                        (after + 1 < length and _letter(text[after + 1]))
                        or (after + 2 < length and text[after + 1] == "-" and _letter(text[after + 2]))
                    )
                )
                if behind and ahead:
                    result.append(text[index:after])
                    index = after
                    break
            if end >= length or text[end].isspace():
                result.append(text[index:end])
                index = end
                break
            if _word_punct(text[end - 1]) and dashes_then_word(end):
                result.append(text[index:end])
                index = end
                break
            end += 1
    return result


def wrap(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """``textwrap.TextWrapper(width, initial_indent, subsequent_indent,
    replace_whitespace=False).wrap(text)`` (tabs expanded, long words broken)."""
    pending = chunks(text.expandtabs())
    pending.reverse()
    lines: list[str] = []
    while pending:
        line: list[str] = []
        used = 0
        indent = subsequent_indent if lines else initial_indent
        room = width - len(indent)
        if pending[-1].strip() == "" and lines:
            del pending[-1]
        while pending:
            size = len(pending[-1])
            if used + size <= room:
                line.append(pending.pop())
                used += size
            else:
                break
        if pending and len(pending[-1]) > room:
            space_left = max(room - used, 1)
            last = pending[-1]
            line.append(last[:space_left])
            pending[-1] = last[space_left:]
        if line and line[-1].strip() == "":
            used -= len(line[-1])
            del line[-1]
        if line:
            lines.append(indent + "".join(line))
    return lines


def wrap_paragraphs(text: str, width: int, indent: str = "") -> str:
    """click's ``wrap_text(..., preserve_paragraphs=True)``: paragraphs rewrapped, except one
    whose first line is ``\\b`` (click's "no rewrap" mark: its other lines are kept as they are,
    indented)."""
    paragraphs: list[tuple[int, bool, str]] = []
    buffer: list[str] = []
    first_indent: int | None = None

    def flush() -> None:
        if buffer:
            if buffer[0].strip() == "\b":
                paragraphs.append((first_indent or 0, True, "\n".join(buffer[1:])))
            else:
                paragraphs.append((first_indent or 0, False, " ".join(buffer)))
            buffer.clear()

    for line in text.expandtabs().splitlines():
        if not line:
            flush()
            first_indent = None
            continue
        if first_indent is None:
            stripped = line.lstrip()
            first_indent = len(line) - len(stripped)
            line = stripped
        buffer.append(line)
    flush()
    return "\n\n".join(
        "\n".join(indent + " " * extra + line for line in body.splitlines())
        if raw
        else "\n".join(wrap(body, width, indent + " " * extra, indent + " " * extra))
        for extra, raw, body in paragraphs
    )


def _number(value: float | int) -> str:
    return str(value)


def describe_range(low: float | int | None, high: float | int | None) -> str:
    if low is None and high is None:
        return ""
    if low is None:
        return f"x<={_number(high)}"  # type: ignore[arg-type]
    if high is None:
        return f"x>={_number(low)}"
    return f"{_number(low)}<=x<={_number(high)}"


def option_metavar(option: Option) -> str:
    """The metavar click shows: the declared one, else the type's name."""
    if option.metavar:
        return option.metavar
    check = option.check
    if isinstance(check, tuple):
        if check[0] == "choice":
            return "[" + "|".join(check[1]) + "]"
        if check[0] == "int":
            return "INTEGER RANGE" if (check[1], check[2]) != (None, None) else "INTEGER"
        return "FLOAT"
    return "TEXT"


def option_record(option: Option) -> tuple[str, str]:
    ordered = sorted(option.flags, key=lambda flag: len(flag) - len(flag.lstrip("-")))
    spec = ", ".join(ordered)
    if option.kind != "flag":
        spec += " " + option_metavar(option)
    extras = []
    if option.show_default and option.default is not None and option.kind != "flag":
        extras.append(f"default: {option.default}")
    check = option.check
    if isinstance(check, tuple) and check[0] in ("int", "float"):
        described = describe_range(check[1], check[2])
        if described:
            extras.append(described)
    if option.required:
        extras.append("required")
    text = option.help
    if extras:
        joined = "; ".join(extras)
        text = f"{text}  [{joined}]" if text else f"[{joined}]"
    return spec, text


STANDARD_RECORDS = (
    ("--version", "Show the version and exit."),
    ("-h, --help", "Show this message and exit."),
)


def usage_line(command: Command) -> str:
    pieces = ["[OPTIONS]"]
    for argument in command.arguments:
        if argument.metavar:
            pieces.append(argument.metavar)
            continue
        var = argument.dest.upper()
        if not argument.required:
            var = f"[{var}]"
        if argument.nargs != 1:
            var += "..."
        pieces.append(var)
    prefix = f"Usage: {command.name} "
    return "\n".join(wrap(" ".join(pieces), WIDTH, prefix, " " * len(prefix))) + "\n"


def definition_list(rows: list[tuple[str, str]], indent: int) -> str:
    first_col = min(max(len(first) for first, _ in rows), COL_MAX) + COL_SPACING
    out: list[str] = []
    for first, second in rows:
        out.append(" " * indent + first)
        if not second:
            out.append("\n")
            continue
        if len(first) <= first_col - COL_SPACING:
            out.append(" " * (first_col - len(first)))
        else:
            out.append("\n" + " " * (first_col + indent))
        text_width = max(WIDTH - first_col - 2, 10)
        lines = wrap_paragraphs(second, text_width).splitlines()
        if lines:
            out.append(lines[0] + "\n")
            out.extend(" " * (first_col + indent) + line + "\n" for line in lines[1:])
        else:
            out.append("\n")
    return "".join(out)


def render(command: Command) -> str:
    """The full ``--help`` text of ``command``, ending in one newline."""
    parts = [usage_line(command)]
    if command.help:
        parts.append("\n" + wrap_paragraphs(command.help, WIDTH, "  ") + "\n")
    rows = [option_record(option) for option in command.options]
    rows.extend(STANDARD_RECORDS)
    parts.append("\nOptions:\n" + definition_list(rows, 2))
    return "".join(parts).rstrip("\n") + "\n"
