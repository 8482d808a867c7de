"""A restricted evaluator for the ``key`` and ``command`` templates.

A template is the body of a Python f-string (0.4.5 evaluated ``f'<template>'`` with
``eval``). Existing Seamless configurations rely on that syntax, so we parse the template
exactly as 0.4.5 did (``compile`` of ``f{template!r}``, hence the same syntax errors), but
evaluate the tree ourselves, accepting only what a template needs:

* constants, names from the namespace (no builtins), tuple/list/set/dict displays;
* subscripts and slices of strings, lists, tuples and mappings;
* calls of whitelisted *methods* of strings, mappings, lists and tuples (``.strip()``,
  ``.replace()``, ``.format()``, ``.get()``, ...); an attribute is only ever looked up to be
  called, and never a dunder, so ``{x.__class__}`` and its relatives cannot reach Python's
  internals (0.4.5's ``eval`` could);
* conditional expressions, comparisons (including ``is``, ``is not``, ``in``, ``not in``),
  ``and``/``or``/``not``, unary ``-``/``+``, ``+`` and ``-``, ``*`` on numbers and for
  bounded string repetition (never lists), ``/ // %`` on numbers only;
* conversions (``!r !s !a``) and format specs, also in ``str.format`` (whose fields may
  index but not look up attributes).

Lambdas, comprehensions, ``:=``, ``await``/``yield``, ``*``/``**`` unpacking, the power and
bit operators are rejected. Every string a template builds is kept under :data:`MAX_OUTPUT`
characters; repetition, padding, format widths, ``replace``, ``join`` and the rendering of
containers are checked *before* they allocate.

Errors read like 0.4.5's: ``Failed to evaluate template f'<template>': <reason>``, raised
as a :class:`~.errors.ConfigError` for the field being evaluated.
"""

from __future__ import annotations

# ``_ast`` holds the node classes and ``compile`` parses; ``ast`` itself would also import
# contextlib, enum and functools (about 4 ms), which Seamless pays just to learn a key.
import _ast as ast
import sys
import warnings
from _collections_abc import Mapping  # collections.abc without importing collections

from .errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

#: Longest string a template (or any intermediate value of it) may produce.
MAX_OUTPUT = 64 * 1024
#: Longest template accepted.
MAX_TEMPLATE = 64 * 1024
#: Error messages quote the template in full up to this many characters.
_QUOTE_LIMIT = 2000
#: Integers a template computes stay below this magnitude (no huge-number arithmetic).
MAX_INT_BITS = 256

_NONE_TYPE = type(None)
#: Types whose operations are all implemented in C and cannot run user code.
_DICT_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))
_PLAIN_TYPES = frozenset(
    {str, bytes, int, float, complex, bool, _NONE_TYPE, list, tuple, dict, set, frozenset, *_DICT_VIEWS}
)
_CONTAINERS = (list, tuple, dict, set, frozenset, *_DICT_VIEWS)
_ITERABLES = (str, *_CONTAINERS)
_NUMBER_TYPES = (int, float, complex)

STR_METHODS = frozenset(
    (
        "capitalize casefold center count endswith find format index isalnum isalpha isascii "
        "isdecimal isdigit isidentifier islower isnumeric isspace istitle isupper join ljust lower "
        "lstrip partition removeprefix removesuffix replace rfind rindex rjust rpartition rsplit "
        "rstrip split splitlines startswith strip swapcase title upper zfill"
    ).split()
)
MAPPING_METHODS = frozenset({"get", "keys", "values", "items"})
SEQUENCE_METHODS = frozenset({"count", "index"})
#: Every method name a template may call on some type (used by the static check).
ALL_METHODS = STR_METHODS | MAPPING_METHODS | SEQUENCE_METHODS

_FORBIDDEN_NODES: dict[type[ast.AST], str] = {
    ast.Lambda: "lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Starred: "* unpacking",
}


class TemplateRejected(Exception):
    """Internal: the reason a template cannot be evaluated (becomes a ConfigError)."""


def template_expression(template: str) -> str:
    """The f-string 0.4.5 evaluated for ``template``; error messages quote it."""
    return "f" + repr(template)


def evaluate(template: str, namespace: Mapping[str, Any], *, field: str) -> str:
    """Evaluate ``template`` with ``namespace``; raise :class:`ConfigError` for ``field``."""
    if "{" not in template and "}" not in template and len(template) <= MAX_TEMPLATE:
        return template  # no replacement fields: the f-string is the text itself
    try:
        tree = _parse(template)
        result = _Evaluator(namespace).evaluate(tree.body)
    except ConfigError:
        raise
    except TemplateRejected as exc:
        raise _failure(template, field, str(exc)) from None
    except RecursionError:
        raise _failure(template, field, "expression is nested too deeply") from None
    except MemoryError:
        raise _failure(template, field, "out of memory") from None
    except Exception as exc:  # noqa: BLE001 - any failure of user-written code is a config error
        raise _failure(template, field, str(exc)) from None
    if not isinstance(result, str):  # cannot happen for an f-string; kept for the type checker
        raise _failure(template, field, f"result is a {type(result).__name__}, not a string")
    return result


def check(template: str, *, field: str) -> None:
    """Parse ``template`` and reject forbidden constructs without evaluating it.

    Lets a configuration fail when it is loaded rather than when its command is first
    needed (on a remote host, after connecting).
    """
    if template in _CHECKED or (
        "{" not in template and "}" not in template and len(template) <= MAX_TEMPLATE
    ):
        return
    try:
        tree = _parse(template)
    except TemplateRejected as exc:
        raise _failure(template, field, str(exc)) from None
    except RecursionError:
        raise _failure(template, field, "expression is nested too deeply") from None
    for node in _walk(tree):
        reason = _static_reason(node)
        if reason:
            raise _failure(template, field, reason)
    if len(_CHECKED) >= _PARSED_MAX:
        _CHECKED.clear()
    _CHECKED.add(template)


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` (``ast.walk`` without importing ``ast``)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        for name in node._fields:
            child = getattr(node, name, None)
            if isinstance(child, ast.AST):
                pending.append(child)
            elif isinstance(child, list):
                pending.extend(item for item in child if isinstance(item, ast.AST))


def _failure(template: str, field: str, reason: str) -> ConfigError:
    expression = template_expression(template)
    if len(expression) > _QUOTE_LIMIT:
        expression = expression[:_QUOTE_LIMIT] + "..."
    return ConfigError(field, f"Failed to evaluate template {expression}: {reason}")


_PARSED: dict[str, ast.Expression] = {}
_PARSED_MAX = 256
_CHECKED: set[str] = set()  # templates that passed check()


def _parse(template: str) -> ast.Expression:
    """Parse as 0.4.5 compiled (same syntax errors); parsed trees are cached."""
    cached = _PARSED.get(template)
    if cached is not None:
        return cached
    if len(template) > MAX_TEMPLATE:
        raise TemplateRejected(f"template longer than {MAX_TEMPLATE} characters")
    try:
        with warnings.catch_warnings():  # "is with a literal" and the like: not the user's concern here
            warnings.simplefilter("ignore")
            tree = compile(template_expression(template), "<config>", "eval", ast.PyCF_ONLY_AST)
    except SyntaxError as exc:
        raise TemplateRejected(str(exc)) from None
    except (ValueError, MemoryError) as exc:  # e.g. null bytes; absurd nesting
        raise TemplateRejected(str(exc) or type(exc).__name__) from None
    assert isinstance(tree, ast.Expression)
    _share_constants(tree)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[template] = tree
    return tree


def _share_constants(tree: ast.AST) -> None:
    """Make equal literals one object and intern name-like strings, as Python's compiler does,
    so that ``is`` between literals gives the answer it gave under 0.4.5's ``eval``."""
    shared: dict[tuple[type, str], Any] = {}
    for node in _walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) in (str, bytes, int, float, complex):
            value = node.value
            if type(value) is str and value.isascii() and value.replace("_", "a").isalnum():
                value = sys.intern(value)
            node.value = shared.setdefault((type(value), repr(value)), value)


def _static_reason(node: ast.AST) -> str | None:
    """Why ``node`` can never be evaluated, if that is known without the namespace."""
    forbidden = _FORBIDDEN_NODES.get(type(node))
    if forbidden:
        return f"{forbidden} is not allowed in templates"
    if isinstance(node, ast.Attribute):
        if _is_dunder(node.attr):
            return _dunder_reason(node.attr)
        if node.attr not in ALL_METHODS:
            return f"method '{node.attr}' is not allowed in templates"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return f"calling '{node.func.id}' is not allowed in templates (no builtins; only methods)"
    if isinstance(node, ast.Call) and not isinstance(node.func, ast.Attribute):
        if type(node.func) in _FORBIDDEN_NODES:
            return None  # the callee itself says what is wrong with it
        return "only whitelisted methods can be called in templates"
    if isinstance(node, ast.keyword) and node.arg is None:
        return "** unpacking is not allowed in templates"
    if isinstance(node, ast.Dict) and any(key is None for key in node.keys):
        return "** unpacking is not allowed in templates"
    if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY_OPERATORS:
        return f"operator {_OPERATOR_SYMBOLS.get(type(node.op), '?')} is not allowed in templates"
    return None


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _dunder_reason(name: str) -> str:
    return f"access to '{name}' is not allowed in templates"


def _check_text(text: str) -> str:
    if len(text) > MAX_OUTPUT:
        raise TemplateRejected(f"result longer than {MAX_OUTPUT} characters")
    return text


def _check_value(value: Any) -> Any:
    """Bound what an operation produced: strings by length, integers by magnitude."""
    if isinstance(value, (str, bytes)):
        if len(value) > MAX_OUTPUT:
            raise TemplateRejected(f"result longer than {MAX_OUTPUT} characters")
    elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise TemplateRejected("integer result too large")
    elif isinstance(value, (list, tuple)) and len(value) > MAX_OUTPUT:
        raise TemplateRejected(f"result longer than {MAX_OUTPUT} items")
    return value


def _check_spec(spec: str) -> str:
    """Refuse a format spec whose width or precision would allocate a huge string."""
    digits = ""
    for char in spec + " ":
        if char.isdigit():
            digits += char
            continue
        if digits and (len(digits) > 6 or int(digits) > MAX_OUTPUT):
            raise TemplateRejected(f"format width or precision larger than {MAX_OUTPUT}")
        digits = ""
    return spec


def _is_plain(value: Any) -> bool:
    return type(value) in _PLAIN_TYPES


def _type_name(value: Any) -> str:
    return type(value).__name__


def _convert(value: Any, conversion: int | str | None) -> Any:
    if conversion in (-1, None):
        return value
    if conversion in (115, "s"):
        return str(value)
    if conversion in (114, "r"):
        return repr(value)
    if conversion in (97, "a"):
        return ascii(value)
    char = conversion if isinstance(conversion, str) else chr(conversion)
    raise ValueError(f"Unknown conversion specifier {char}")


def _check_rendered_size(value: Any) -> None:
    """Refuse to render a container whose text would be huge (it may hold one large value
    many times over), estimating the size without rendering it."""
    budget = MAX_OUTPUT
    stack = [value]
    while stack:
        item = stack.pop()
        budget -= 4
        if isinstance(item, (str, bytes)):
            budget -= len(item)
        elif isinstance(item, int):
            budget -= item.bit_length() // 3
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, _CONTAINERS):
            stack.extend(item)  # type: ignore[arg-type]
        if budget < 0:
            raise TemplateRejected(f"result longer than {MAX_OUTPUT} characters")


def _format_value(value: Any, conversion: int | str | None, spec: str) -> str:
    if isinstance(value, _CONTAINERS):
        _check_rendered_size(value)
    converted = _convert(value, conversion)
    if isinstance(converted, str):
        _check_text(converted)
    return _check_text(format(converted, _check_spec(spec)))


def _subscript(obj: Any, index: Any) -> Any:
    if not (_is_plain(obj) or isinstance(obj, Mapping)):
        raise TemplateRejected(f"subscripting a {_type_name(obj)} is not allowed in templates")
    return obj[index]


# --- bounded versions of the methods that can grow a string -----------------------------


def _str_replace(text: str, *args: Any, **kwargs: Any) -> str:
    if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        hits = len(text) + 1 if old == "" else text.count(old)
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        if len(text) + hits * (len(new) - len(old)) > MAX_OUTPUT:
            raise TemplateRejected(f"result longer than {MAX_OUTPUT} characters")
    return text.replace(*args, **kwargs)


def _str_join(separator: str, *args: Any, **kwargs: Any) -> str:
    iterable: Any = args[0] if len(args) == 1 else None
    joinable = isinstance(iterable, _ITERABLES)  # (not narrowing ``iterable``, which stays Any)
    if not kwargs and joinable:
        items = list(iterable)
        if len(items) > MAX_OUTPUT:
            raise TemplateRejected(f"result longer than {MAX_OUTPUT} characters")
        size = sum(len(item) for item in items if isinstance(item, str))
        if size + len(separator) * max(len(items) - 1, 0) > MAX_OUTPUT:
            raise TemplateRejected(f"result longer than {MAX_OUTPUT} characters")
        return separator.join(items)
    if len(args) == 1 and not kwargs and not _is_plain(args[0]):
        raise TemplateRejected(f"joining a {_type_name(args[0])} is not allowed in templates")
    return separator.join(*args, **kwargs)  # wrong arguments: str.join's own error


def _padding(method: str) -> Callable[..., Any]:
    def padded(text: str, *args: Any, **kwargs: Any) -> Any:
        width = args[0] if args else kwargs.get("width")
        if isinstance(width, int) and width > MAX_OUTPUT:
            raise TemplateRejected(f"width larger than {MAX_OUTPUT}")
        return getattr(text, method)(*args, **kwargs)

    return padded


class _FormatState:
    """Automatic field numbering of one ``str.format`` call, shared with nested specs."""

    __slots__ = ("manual", "next_index")

    def __init__(self) -> None:
        self.next_index = 0
        self.manual: bool | None = None


def _str_format(fmt: str, *args: Any, **kwargs: Any) -> str:
    """``fmt.format(*args, **kwargs)`` with the same results and messages as ``str.format``,
    but no attribute lookups in fields and bounded widths and output."""
    return _format_into(fmt, args, kwargs, _FormatState(), 2)


def _format_into(
    fmt: str, args: tuple[Any, ...], kwargs: dict[str, Any], state: _FormatState, depth: int
) -> str:
    import _string  # type: ignore[import-not-found]  # str.format's own parser (C)

    if depth < 0:
        raise ValueError("Max string recursion exceeded")
    parts: list[str] = []
    total = 0
    for literal, field_name, spec, conversion in _string.formatter_parser(fmt):
        if literal:
            parts.append(literal)
            total += len(literal)
        if field_name is None:
            continue
        first, rest = _string.formatter_field_name_split(field_name)
        if first == "":
            if state.manual is True:
                raise ValueError("cannot switch from manual field specification to automatic field numbering")
            state.manual = False
            first = state.next_index
            state.next_index += 1
        elif isinstance(first, int) and state.manual is False:
            raise ValueError("cannot switch from automatic field numbering to manual field specification")
        elif isinstance(first, int):
            state.manual = True
        if isinstance(first, int):
            if first >= len(args):
                raise IndexError(f"Replacement index {first} out of range for positional args tuple")
            value = args[first]
        else:
            value = kwargs[first]
        for is_attribute, part in rest:
            if is_attribute:
                raise TemplateRejected(f"attribute lookup '.{part}' in a format field is not allowed")
            value = _subscript(value, part)
        if isinstance(value, _CONTAINERS):
            _check_rendered_size(value)
        value = _convert(value, conversion)  # before the nested spec, as str.format does
        if spec and "{" in spec:
            spec = _format_into(spec, args, kwargs, state, depth - 1)
        text = _format_value(value, None, spec or "")
        parts.append(text)
        total += len(text)
        if total > MAX_OUTPUT:
            raise TemplateRejected(f"result longer than {MAX_OUTPUT} characters")
    return "".join(parts)


_STR_OVERRIDES: dict[str, Callable[..., Any]] = {
    "replace": _str_replace,
    "join": _str_join,
    "format": _str_format,
    "center": _padding("center"),
    "ljust": _padding("ljust"),
    "rjust": _padding("rjust"),
    "zfill": _padding("zfill"),
}


def _method(obj: Any, name: str) -> Callable[..., Any]:
    """The callable for ``obj.name(...)``, or a rejection that says why not."""
    if _is_dunder(name):
        raise TemplateRejected(_dunder_reason(name))
    if isinstance(obj, str) and name in STR_METHODS:
        override = _STR_OVERRIDES.get(name)
        if override is not None:
            return lambda *args, **kwargs: override(obj, *args, **kwargs)
        unbound = getattr(str, name)
        return lambda *args, **kwargs: unbound(obj, *args, **kwargs)
    if isinstance(obj, Mapping) and name in MAPPING_METHODS:
        return getattr(obj, name)  # type: ignore[no-any-return]
    if isinstance(obj, (list, tuple)) and name in SEQUENCE_METHODS:
        return getattr(obj, name)  # type: ignore[no-any-return]
    if _is_plain(obj) and not hasattr(obj, name):
        raise AttributeError(f"'{_type_name(obj)}' object has no attribute '{name}'")
    raise TemplateRejected(f"method '{name}' of {_type_name(obj)} is not allowed in templates")


# --- operators ----------------------------------------------------------------------------


def _add(left: Any, right: Any) -> Any:
    if isinstance(left, (str, list, tuple)) and type(left) is type(right):
        if len(left) + len(right) > MAX_OUTPUT:
            raise TemplateRejected(f"result longer than {MAX_OUTPUT} characters")
    return left + right


def _multiply(left: Any, right: Any) -> Any:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (list, tuple)) and isinstance(count, int):
            raise TemplateRejected("repeating a list or tuple is not allowed in templates (only strings)")
        if isinstance(sequence, (str, bytes)) and isinstance(count, int):
            if len(sequence) * max(count, 0) > MAX_OUTPUT:
                raise TemplateRejected(f"repetition longer than {MAX_OUTPUT}")
    return left * right


def _numeric(operator: Callable[[Any, Any], Any], symbol: str) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        if not (isinstance(left, _NUMBER_TYPES) and isinstance(right, _NUMBER_TYPES)):
            raise TemplateRejected(f"operator {symbol} is only allowed on numbers in templates")
        return operator(left, right)

    return apply


_BINARY_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: _add,
    ast.Sub: lambda left, right: left - right,
    ast.Mult: _multiply,
    ast.Div: _numeric(lambda left, right: left / right, "/"),
    ast.FloorDiv: _numeric(lambda left, right: left // right, "//"),
    ast.Mod: _numeric(lambda left, right: left % right, "%"),
}
_OPERATOR_SYMBOLS: dict[type[ast.operator], str] = {
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.MatMult: "@",
}
_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: lambda left, right: left == right,
    ast.NotEq: lambda left, right: left != right,
    ast.Lt: lambda left, right: left < right,
    ast.LtE: lambda left, right: left <= right,
    ast.Gt: lambda left, right: left > right,
    ast.GtE: lambda left, right: left >= right,
    ast.Is: lambda left, right: left is right,
    ast.IsNot: lambda left, right: left is not right,
    ast.In: lambda left, right: left in right,
    ast.NotIn: lambda left, right: left not in right,
}


class _Evaluator:
    """Walks a parsed template; one instance per evaluation."""

    __slots__ = ("namespace",)

    def __init__(self, namespace: Mapping[str, Any]) -> None:
        self.namespace = namespace

    def evaluate(self, node: ast.AST) -> Any:
        handler = _HANDLERS.get(type(node))
        if handler is None:
            reason = _static_reason(node) or f"{type(node).__name__} expressions are not allowed in templates"
            raise TemplateRejected(reason)
        return handler(self, node)

    def joined_str(self, node: ast.JoinedStr) -> str:
        parts: list[str] = []
        total = 0
        for value in node.values:
            text = self.evaluate(value)
            if not isinstance(text, str):
                raise TemplateRejected("f-string part is not a string")
            parts.append(text)
            total += len(text)
            if total > MAX_OUTPUT:
                raise TemplateRejected(f"result longer than {MAX_OUTPUT} characters")
        return "".join(parts)

    def formatted_value(self, node: ast.FormattedValue) -> str:
        value = self.evaluate(node.value)
        spec = self.evaluate(node.format_spec) if node.format_spec is not None else ""
        return _format_value(value, node.conversion, spec)

    def constant(self, node: ast.Constant) -> Any:
        return node.value

    def name(self, node: ast.Name) -> Any:
        try:
            return self.namespace[node.id]
        except KeyError:
            raise NameError(f"name '{node.id}' is not defined") from None

    def subscript(self, node: ast.Subscript) -> Any:
        obj = self.evaluate(node.value)
        if isinstance(node.slice, ast.Slice):
            index: Any = slice(
                *(
                    self.evaluate(part) if part is not None else None
                    for part in (node.slice.lower, node.slice.upper, node.slice.step)
                )
            )
        else:
            index = self.evaluate(node.slice)
        return _subscript(obj, index)

    def attribute(self, node: ast.Attribute) -> Any:
        self.evaluate(node.value)  # inner problems first, as Python would report them
        if _is_dunder(node.attr):
            raise TemplateRejected(_dunder_reason(node.attr))
        raise TemplateRejected(
            f"attribute '.{node.attr}' is not allowed in templates (only calls of string and mapping methods)"
        )

    def call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Name):
            self.name(func)  # an unknown name fails as in Python ("name 'len' is not defined")
            raise TemplateRejected(f"calling '{func.id}' is not allowed in templates (only methods)")
        if not isinstance(func, ast.Attribute):
            self.evaluate(func)  # a lambda or comprehension callee reports itself
            raise TemplateRejected("only whitelisted methods can be called in templates")
        if _is_dunder(func.attr):
            raise TemplateRejected(_dunder_reason(func.attr))
        method = _method(self.evaluate(func.value), func.attr)
        args = [self.evaluate(arg) for arg in node.args]
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise TemplateRejected("** unpacking is not allowed in templates")
            kwargs[keyword.arg] = self.evaluate(keyword.value)
        return _check_value(method(*args, **kwargs))

    def if_exp(self, node: ast.IfExp) -> Any:
        return self.evaluate(node.body if self.evaluate(node.test) else node.orelse)

    def bool_op(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        result: Any = None
        for value in node.values:
            result = self.evaluate(value)
            if bool(result) is not is_and:
                return result
        return result

    def unary_op(self, node: ast.UnaryOp) -> Any:
        operand = self.evaluate(node.operand)
        if isinstance(node.op, ast.Not):
            return not operand
        if not _is_plain(operand):
            raise TemplateRejected(f"unary operators on {_type_name(operand)} are not allowed in templates")
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return +operand
        return _check_value(~operand)

    def bin_op(self, node: ast.BinOp) -> Any:
        operator = _BINARY_OPERATORS.get(type(node.op))
        if operator is None:
            symbol = _OPERATOR_SYMBOLS.get(type(node.op), "?")
            raise TemplateRejected(f"operator {symbol} is not allowed in templates")
        left = self.evaluate(node.left)
        right = self.evaluate(node.right)
        if not (_is_plain(left) and _is_plain(right)):
            raise TemplateRejected(
                f"operators on {_type_name(left)} and {_type_name(right)} are not allowed in templates"
            )
        return _check_value(operator(left, right))

    def compare(self, node: ast.Compare) -> Any:
        left = self.evaluate(node.left)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators):
            right = self.evaluate(comparator)
            result = _COMPARISONS[type(op)](left, right)
            if not result:
                return result
            left = right
        return result

    def tuple_(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.evaluate(element) for element in node.elts)

    def list_(self, node: ast.List) -> list[Any]:
        return [self.evaluate(element) for element in node.elts]

    def set_(self, node: ast.Set) -> set[Any]:
        return {self.evaluate(element) for element in node.elts}

    def dict_(self, node: ast.Dict) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values):
            if key is None:
                raise TemplateRejected("** unpacking is not allowed in templates")
            result[self.evaluate(key)] = self.evaluate(value)
        return result


_HANDLERS: dict[type[ast.AST], Callable[[_Evaluator, Any], Any]] = {
    ast.JoinedStr: _Evaluator.joined_str,
    ast.FormattedValue: _Evaluator.formatted_value,
    ast.Constant: _Evaluator.constant,
    ast.Name: _Evaluator.name,
    ast.Subscript: _Evaluator.subscript,
    ast.Attribute: _Evaluator.attribute,
    ast.Call: _Evaluator.call,
    ast.IfExp: _Evaluator.if_exp,
    ast.BoolOp: _Evaluator.bool_op,
    ast.UnaryOp: _Evaluator.unary_op,
    ast.BinOp: _Evaluator.bin_op,
    ast.Compare: _Evaluator.compare,
    ast.Tuple: _Evaluator.tuple_,
    ast.List: _Evaluator.list_,
    ast.Set: _Evaluator.set_,
    ast.Dict: _Evaluator.dict_,
}
