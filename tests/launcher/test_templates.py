"""The restricted template evaluator: Seamless's real templates, 0.4.5 parity, hostile input.

* the key and command templates of seamless-config 0.3.2's tools.yaml evaluate to what 0.4.5
  produced (literal expectations, and the reference's own evaluator when it is available);
* a differential test: for hypothesis-generated safe templates, our evaluator and 0.4.5's
  either both accept with the same text or both reject with the same message;
* ``'...'.format()`` inside templates behaves exactly like ``str.format``;
* hostile templates (dunder access, builtins, comprehensions, huge outputs) are rejected
  with a one-line ConfigError, quickly and without side effects.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
import time
import types
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from remote_http_launcher.launch import templates
from remote_http_launcher.launch.errors import ConfigError, LauncherError

STATUS_FILE = "~/.remote-http-launcher/server/KEY.json"

# seamless-config 0.3.2, seamless_config/tools.yaml (key_template / command_template), verbatim.
SEAMLESS_KEY_TEMPLATES = {
    "hashserver": 'hashserver-$CLUSTER-$MODE-{"$PROJECTSUBDIR$STAGEDIR".strip("/").replace("/", "--")}',
    "database": 'database-$CLUSTER-$MODE-{"$PROJECTSUBDIR$STAGEDIR".strip("/").replace("/", "--")}',
    "jobserver": 'jobserver-$CLUSTER-$MODE-{"$PROJECTSUBDIR$STAGESUBDIR".strip("/").replace("/", "--")}',
    "daskserver": 'daskserver-$CLUSTER-$MODE-{"$PROJECTSUBDIR$STAGESUBDIR".strip("/").replace("/", "--")}',
    "pure_daskserver": "pure-daskserver-$CLUSTER-$QUEUE",
}
SEAMLESS_COMMAND_TEMPLATES = {
    "hashserver": (
        "hashserver{' --port-range {} {}'.format(config.get('port_start'), config.get('port_end')) "
        "if config.get('port_start') is not None and config.get('port_end') is not None else ''} "
        "--status-file {status_file}{' --host ' + config.get('network_interface') "
        "if config.get('network_interface') is not None else ''} --timeout {timeout} {workdir}"
        "{' --writable' if '$MODE' == 'rw' else ''}"
    ),
    "database": (
        "seamless-database{' --port-range {} {}'.format(config.get('port_start'), config.get('port_end')) "
        "if config.get('port_start') is not None and config.get('port_end') is not None else ''} "
        "--status-file {status_file}{' --host ' + config.get('network_interface') "
        "if config.get('network_interface') is not None else ''} --timeout {timeout}"
        "{' --writable' if '$MODE' == 'rw' else ''} {workdir}/seamless.db"
    ),
    "jobserver": (
        "seamless-jobserver --workers {workers} --port-range {port_start} {port_end} "
        "--status-file {status_file} --host {config['network_interface']} --timeout {timeout}"
    ),
    "daskserver": (
        "seamless-dask-wrapper {cluster_string} --port-range {port_start} {port_end} "
        "--status-file {status_file} --host {config['network_interface']} --timeout {timeout}"
    ),
}
SEAMLESS_COMMAND_TEMPLATES["pure_daskserver"] = SEAMLESS_COMMAND_TEMPLATES["daskserver"]

INJECTED = {
    "$CLUSTER": "mycluster",
    "$PROJECTSUBDIR": "/proj/sub",
    "$STAGEDIR": "/STAGE-x",
    "$STAGESUBDIR": "/STAGE-xSUBSTAGE-y",
    "$QUEUE": "gpu",
}


def inject(template: str, mode: str) -> str:
    """Seamless substitutes $NAMES before handing the template to the launcher."""
    for name, value in {**INJECTED, "$MODE": mode}.items():
        template = template.replace(name, value)
    return template


def seamless_namespace(*, with_optional: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "workdir": "/data/buffers/proj/sub/STAGE-x",
        "timeout": 600,
        "workers": 8,
        "cluster_string": "local",
        "network_interface": "0.0.0.0",
        "hostname": "frontend",
        "conda": "seamless",
    }
    if with_optional:
        config.update(port_start=5100, port_end=5199)
    else:
        config.update(port_start=None, port_end=None, network_interface=None)
    namespace = dict(config)
    namespace["config"] = config
    namespace["key"] = "the-key"
    namespace["status_file"] = STATUS_FILE
    return namespace


EXPECTED_KEYS = {
    ("hashserver", "rw"): "hashserver-mycluster-rw-proj--sub--STAGE-x",
    ("database", "ro"): "database-mycluster-ro-proj--sub--STAGE-x",
    ("jobserver", "rw"): "jobserver-mycluster-rw-proj--sub--STAGE-xSUBSTAGE-y",
    ("daskserver", "ro"): "daskserver-mycluster-ro-proj--sub--STAGE-xSUBSTAGE-y",
    ("pure_daskserver", "rw"): "pure-daskserver-mycluster-gpu",
}
EXPECTED_COMMANDS = {
    ("hashserver", "rw", True): (
        f"hashserver --port-range 5100 5199 --status-file {STATUS_FILE} --host 0.0.0.0 --timeout 600 "
        "/data/buffers/proj/sub/STAGE-x --writable"
    ),
    ("hashserver", "ro", False): (
        f"hashserver --status-file {STATUS_FILE} --timeout 600 /data/buffers/proj/sub/STAGE-x"
    ),
    ("database", "rw", True): (
        f"seamless-database --port-range 5100 5199 --status-file {STATUS_FILE} --host 0.0.0.0 "
        "--timeout 600 --writable /data/buffers/proj/sub/STAGE-x/seamless.db"
    ),
    ("database", "ro", False): (
        f"seamless-database --status-file {STATUS_FILE} --timeout 600 "
        "/data/buffers/proj/sub/STAGE-x/seamless.db"
    ),
    ("jobserver", "rw", True): (
        f"seamless-jobserver --workers 8 --port-range 5100 5199 --status-file {STATUS_FILE} "
        "--host 0.0.0.0 --timeout 600"
    ),
    ("jobserver", "rw", False): (
        f"seamless-jobserver --workers 8 --port-range None None --status-file {STATUS_FILE} "
        "--host None --timeout 600"
    ),
    ("daskserver", "ro", True): (
        f"seamless-dask-wrapper local --port-range 5100 5199 --status-file {STATUS_FILE} "
        "--host 0.0.0.0 --timeout 600"
    ),
    ("pure_daskserver", "rw", True): (
        f"seamless-dask-wrapper local --port-range 5100 5199 --status-file {STATUS_FILE} "
        "--host 0.0.0.0 --timeout 600"
    ),
}


def evaluate(template: str, namespace: dict[str, Any], field: str = "key") -> str:
    return templates.evaluate(template, namespace, field=field)


def rejection(template: str, namespace: dict[str, Any] | None = None, field: str = "key") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        templates.evaluate(template, namespace or {}, field=field)
    error = info.value
    assert error.field == field
    assert "\n" not in str(error)
    assert str(error).startswith(
        f"{field}: Failed to evaluate template {templates.template_expression(template)[:50]}"
    )
    return error


@pytest.fixture(scope="module")
def reference(reference_bin: pathlib.Path) -> types.ModuleType:
    """remote-http-launcher 0.4.5's module, loaded under another name to run its evaluator."""
    found = sorted((reference_bin.parent / "lib").glob("python3*/site-packages/remote_http_launcher.py"))
    if not found:
        pytest.skip("remote-http-launcher 0.4.5 module not found next to the reference venv")
    name = "_rhl_reference_045"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, found[0])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def reference_outcome(
    reference: types.ModuleType, template: str, namespace: dict[str, Any]
) -> tuple[bool, str]:
    try:
        return True, reference._evaluate_template(template, dict(namespace))
    except reference.LauncherError as exc:
        return False, str(exc)


def our_outcome(template: str, namespace: dict[str, Any]) -> tuple[bool, str]:
    try:
        return True, templates.evaluate(template, dict(namespace), field="key")
    except ConfigError as exc:
        return False, exc.detail


# --- the real Seamless templates ------------------------------------------------------------


def test_spec_example_key() -> None:
    template = 'hashserver-CLUSTER-rw-{"/proj/STAGE-x".strip("/").replace("/", "--")}'
    assert evaluate(template, {}) == "hashserver-CLUSTER-rw-proj--STAGE-x"


@pytest.mark.parametrize(("tool", "mode"), sorted(EXPECTED_KEYS))
def test_seamless_key_templates(tool: str, mode: str) -> None:
    namespace = seamless_namespace(with_optional=True)
    assert evaluate(inject(SEAMLESS_KEY_TEMPLATES[tool], mode), namespace) == EXPECTED_KEYS[tool, mode]


@pytest.mark.parametrize(("tool", "mode", "with_optional"), sorted(EXPECTED_COMMANDS))
def test_seamless_command_templates(tool: str, mode: str, with_optional: bool) -> None:
    template = inject(SEAMLESS_COMMAND_TEMPLATES[tool], mode)
    templates.check(template, field="command")
    namespace = seamless_namespace(with_optional=with_optional)
    assert evaluate(template, namespace, "command") == EXPECTED_COMMANDS[tool, mode, with_optional]


def test_seamless_command_without_port_range_field_fails_like_045() -> None:
    """No defaults are injected: a template variable that is absent is a NameError."""
    namespace = seamless_namespace(with_optional=True)
    del namespace["port_start"]
    error = rejection(inject(SEAMLESS_COMMAND_TEMPLATES["jobserver"], "rw"), namespace, "command")
    assert error.detail.endswith(": name 'port_start' is not defined")


@pytest.mark.reference
@pytest.mark.parametrize("tool", sorted(SEAMLESS_COMMAND_TEMPLATES))
@pytest.mark.parametrize("mode", ["ro", "rw"])
@pytest.mark.parametrize("with_optional", [True, False])
def test_seamless_templates_match_reference(
    reference: types.ModuleType, tool: str, mode: str, with_optional: bool
) -> None:
    namespace = seamless_namespace(with_optional=with_optional)
    for template in (SEAMLESS_KEY_TEMPLATES[tool], SEAMLESS_COMMAND_TEMPLATES[tool]):
        template = inject(template, mode)
        assert our_outcome(template, namespace) == reference_outcome(reference, template, namespace)


# --- supported features --------------------------------------------------------------------

NS: dict[str, Any] = {
    "name": "Hash Server",
    "path": "/proj/STAGE-x/",
    "port": 8080,
    "ratio": 0.25,
    "items": ["a", "b", "c"],
    "pair": ("x", 1),
    "nested": {"inner": "v", "n": 3},
    "nothing": None,
    "flag": True,
}
NS["config"] = dict(NS)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain text", "plain text"),
        ("{{literal}} braces", "{literal} braces"),
        ("{name}", "Hash Server"),
        ("{name!r} {name!s} {name!a}", "'Hash Server' Hash Server 'Hash Server'"),
        ("{'é'!a}", "'\\xe9'"),
        ("[{port:>6}] [{port:<6}] [{name:^13}]", "[  8080] [8080  ] [ Hash Server ]"),
        ("{ratio:.3f} {port:#x} {port:,}", "0.250 0x1f90 8,080"),
        ("{port:>{nested['n']}}", "8080"),
        ("{name:>{port // 1000}}", "Hash Server"),
        ("{path.strip('/').replace('/', '--')}", "proj--STAGE-x"),
        ("{path.lstrip('/')}|{path.rstrip('/')}", "proj/STAGE-x/|/proj/STAGE-x"),
        ("{name.lower()}-{name.upper()}-{name.title()}", "hash server-HASH SERVER-Hash Server"),
        ("{name.split(' ', maxsplit=1)[1]}", "Server"),
        ("{'-'.join(items)}", "a-b-c"),
        ("{'-'.join(nested)}", "inner-n"),
        ("{'-'.join(nested.keys())}", "inner-n"),
        ("{'{} {}'.format(name, port)}", "Hash Server 8080"),
        ("{'{0}/{0}:{p:>5}'.format(port, p='x')}", "8080/8080:    x"),
        ("{'{0[inner]}'.format(nested)}", "v"),
        ("{config.get('port')} {config.get('missing')} {config.get('missing', 'd')}", "8080 None d"),
        ("{config['name']}", "Hash Server"),
        ("{items[0]}{items[-1]}{items[1:]}{name[::-1]}", "ac['b', 'c']revreS hsaH"),
        ("{'yes' if flag else 'no'} {'yes' if nothing else 'no'}", "yes no"),
        ("{nothing is None} {nothing is not None} {port == 8080} {port != 8080}", "True False True False"),
        ("{1 < port <= 9000} {'a' in items} {'z' not in items} {'inner' in nested}", "True True True True"),
        ("{flag and name} {nothing or 'fallback'} {not flag}", "Hash Server fallback False"),
        (
            "{'a' + 'b'} {port + 1} {port - 80} {port * 2} {port / 2} {port % 7}",
            "ab 8081 8000 16160 4040.0 2",
        ),
        ("{-port} {+port} {'ab' * 3} {items + ['d']}", "-8080 8080 ababab ['a', 'b', 'c', 'd']"),
        ("{(1, 2)} {[1, 2]} {dict(a=1) if False else {'a': 1}}", "(1, 2) [1, 2] {'a': 1}"),
        ("{f'{name}!'}", "Hash Server!"),
        ("{name.startswith('Hash')} {name.endswith('x')} {name.count('s')}", "True False 1"),
        ("{pair.index(1)} {items.count('a')}", "1 1"),
        ("{'7'.zfill(3)} {'x'.center(5, '*')}", "007 **x**"),
        ("{nested.items()}", "dict_items([('inner', 'v'), ('n', 3)])"),
    ],
)
def test_supported_expressions(template: str, expected: str) -> None:
    assert evaluate(template, NS) == expected


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{missing}", "name 'missing' is not defined"),
        ("{len(name)}", "name 'len' is not defined"),
        ("{config['missing']}", "'missing'"),
        ("{items[5]}", "list index out of range"),
        ("{port.upper()}", "'int' object has no attribute 'upper'"),
        ("{name + port}", 'can only concatenate str (not "int") to str'),
        ("{port:.2}", "Precision not allowed in integer format specifier"),
        ("{'{} {}'.format(1)}", "Replacement index 1 out of range for positional args tuple"),
        ("{'{missing}'.format()}", "'missing'"),
        (
            "{'{0}{}'.format(1, 2)}",
            "cannot switch from manual field specification to automatic field numbering",
        ),
        ("{name", "f-string: expecting '}' (<config>, line 1)"),
    ],
)
def test_errors_read_like_python(template: str, reason: str) -> None:
    error = rejection(template, NS)
    if "(<config>" in reason and sys.version_info >= (3, 12):
        return  # the parser's wording changed in 3.12 (PEP 701); 0.4.5 shows the same one
    assert error.detail == f"Failed to evaluate template {templates.template_expression(template)}: {reason}"


def test_error_is_a_launcher_error_with_the_field() -> None:
    error = rejection("{missing}", {}, field="command")
    assert isinstance(error, LauncherError) and isinstance(error, RuntimeError)
    assert error.exit_code == 1
    assert str(error) == "command: Failed to evaluate template f'{missing}': name 'missing' is not defined"


def test_template_without_fields_is_returned_as_is() -> None:
    assert evaluate("a 'quoted' \\ \"text\"", {}) == "a 'quoted' \\ \"text\""


def test_check_accepts_what_evaluate_can_run_and_rejects_forbidden_constructs() -> None:
    for template in SEAMLESS_COMMAND_TEMPLATES.values():
        templates.check(template, field="command")
    with pytest.raises(ConfigError, match=r"^command: .*lambda is not allowed in templates$"):
        templates.check("{(lambda: 1)()}", field="command")
    with pytest.raises(ConfigError, match=r"calling 'open' is not allowed"):
        templates.check("{open('/etc/passwd')}", field="command")
    with pytest.raises(ConfigError, match=r"expecting '\}'|was never closed"):
        templates.check("x {y", field="command")


# --- str.format inside templates equals str.format ------------------------------------------

_FIELD = st.builds(
    lambda name, conversion, spec: "{" + name + conversion + spec + "}",
    st.sampled_from(["", "", "0", "1", "2", "a", "b", "0[0]", "a[k]", "9"]),
    st.sampled_from(["", "", "!r", "!s", "!a", "!x"]),
    st.sampled_from(["", "", ":>6", ":^5", ":.2", ":x", ":{}", ":>{2}", ":{0}"]),
)
_FORMAT_STRING = st.lists(st.one_of(_FIELD, st.text(alphabet="ab -{}", max_size=3)), max_size=5).map("".join)
_FORMAT_ARGS = st.lists(st.sampled_from([0, 3, 8, "s", "long text", [1, 2], None, 2.5, True]), max_size=3)


@settings(max_examples=400, deadline=None)
@given(fmt=_FORMAT_STRING, args=_FORMAT_ARGS, a=st.sampled_from([1, "x", {"k": "v"}, [7]]))
def test_format_method_equals_str_format(fmt: str, args: list[Any], a: Any) -> None:
    kwargs = {"a": a, "b": "bee"}
    try:
        expected: tuple[str, str] = ("ok", fmt.format(*args, **kwargs))
    except Exception as exc:
        expected = (type(exc).__name__, str(exc))
    try:
        actual: tuple[str, str] = ("ok", templates._str_format(fmt, *args, **kwargs))
    except templates.TemplateRejected:
        return  # only attribute lookups are refused, and these strings contain none
    except Exception as exc:
        actual = (type(exc).__name__, str(exc))
    assert actual == expected


# --- differential test against 0.4.5 -------------------------------------------------------

DIFF_DATA: dict[str, Any] = {
    "workdir": "/data/proj/STAGE-x",
    "timeout": 600,
    "port_start": 5100,
    "port_end": None,
    "name": "Hash Server",
    "ratio": 0.25,
    "flag": True,
    "items": ["a", "b", "c"],
    "nested": {"inner": "v", "n": 3},
}
DIFF_NAMESPACE: dict[str, Any] = {
    **DIFF_DATA,
    "config": DIFF_DATA,
    "key": "the-key",
    "status_file": STATUS_FILE,
}

# Double quotes only: repr() of the template then needs no backslash (a backslash inside an
# f-string expression is a syntax error before Python 3.12, for both evaluators alike).
_LITERAL = st.text(alphabet="abcXY019/-_. ", max_size=6).map(lambda text: f'"{text}"')
_ATOM = st.one_of(
    st.sampled_from([*DIFF_DATA, "config", "key", "status_file", "undefined_name"]),
    _LITERAL,
    st.integers(-20, 700).map(str),
    st.sampled_from(["None", "True", "False", "0.5"]),
    st.sampled_from(
        [
            'config["timeout"]',
            'config.get("port_start")',
            'config.get("missing", "dflt")',
            'nested["inner"]',
            'nested["absent"]',
            "items[1]",
            "items[-1]",
            "items[7]",
            "workdir[1:5]",
            "workdir[::2]",
            "[1, 2]",
            '("a", "b")',
        ]
    ),
)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    two = st.tuples(inner, inner)
    return st.one_of(
        two.map(lambda ab: f"({ab[0]} + {ab[1]})"),
        two.map(lambda ab: f"({ab[0]} - {ab[1]})"),
        st.tuples(inner, st.integers(0, 3)).map(lambda ai: f"({ai[0]} * {ai[1]})"),
        st.tuples(inner, inner, inner).map(lambda abc: f"({abc[0]} if {abc[2]} else {abc[1]})"),
        st.tuples(inner, st.sampled_from(["==", "!=", "<", ">=", "in", "not in", "is", "is not"]), inner).map(
            lambda aob: f"({aob[0]} {aob[1]} {aob[2]})"
        ),
        inner.map(lambda a: f"({a} is None)"),
        inner.map(lambda a: f"({a} is not None)"),
        two.map(lambda ab: f"({ab[0]} and {ab[1]})"),
        two.map(lambda ab: f"({ab[0]} or {ab[1]})"),
        inner.map(lambda a: f"(not {a})"),
        inner.map(lambda a: f"(-{a})"),
        st.tuples(
            inner,
            st.sampled_from(
                [
                    'strip("/")',
                    'replace("/", "--")',
                    "upper()",
                    "lower()",
                    'split("/")',
                    'startswith("/d")',
                    'endswith("x")',
                    'get("inner")',
                    'get("n", 0)',
                    "keys()",
                    'count("a")',
                    "zfill(4)",
                    "isdigit()",
                ]
            ),
        ).map(lambda am: f"{am[0]}.{am[1]}"),
        inner.map(lambda a: f'"-".join({a})'),
        two.map(lambda ab: f'"{{}}/{{}}".format({ab[0]}, {ab[1]})'),
        two.map(lambda ab: f"{ab[0]}[{ab[1]}]"),
    )


_EXPRESSION = st.recursive(_ATOM, _extend, max_leaves=6)
_REPLACEMENT = st.builds(
    lambda expression, conversion, spec: "{" + expression + conversion + spec + "}",
    _EXPRESSION,
    st.sampled_from(["", "", "!r", "!s", "!a"]),
    st.sampled_from(["", "", ":>12", ":^9", ":.3", ":<4"]),
)
_TEMPLATE = st.lists(
    st.one_of(_REPLACEMENT, st.text(alphabet="ab -/_.{}", max_size=4)), min_size=1, max_size=4
).map("".join)

#: Rejections that are deliberate: 0.4.5 accepted these, we refuse them.
DELIBERATE = ("repeating a list or tuple is not allowed",)


@pytest.mark.reference
@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # 0.4.5's compile warns about `x is "literal"`
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template=_TEMPLATE)
def test_differential_against_reference(reference: types.ModuleType, template: str) -> None:
    expected = reference_outcome(reference, template, DIFF_NAMESPACE)
    actual = our_outcome(template, DIFF_NAMESPACE)
    event("both accept" if expected[0] and actual[0] else "reference accepts" if expected[0] else "rejected")
    if not actual[0]:
        assume(not any(reason in actual[1] for reason in DELIBERATE))
    assert actual == expected


# --- hostile templates ---------------------------------------------------------------------

BIG = "x" * 60_000


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{x.__class__}", "access to '__class__' is not allowed in templates"),
        ("{().__class__.__bases__}", "access to '__class__' is not allowed in templates"),
        ("{x.__class__.__mro__[-1].__subclasses__()}", "access to '__subclasses__' is not allowed"),
        ("{config.get.__self__}", "attribute '.get' is not allowed in templates"),
        ("{s.format.__globals__}", "attribute '.format' is not allowed in templates"),
        ("{s.__len__()}", "access to '__len__' is not allowed in templates"),
        ("{config.__getitem__('x')}", "access to '__getitem__' is not allowed in templates"),
        ("{'{0.__class__}'.format(x)}", "attribute lookup '.__class__' in a format field is not allowed"),
        ("{'{0.real}'.format(x)}", "attribute lookup '.real' in a format field is not allowed"),
        ("{open('x')}", "name 'open' is not defined"),
        ("{__import__('os')}", "name '__import__' is not defined"),
        ("{__builtins__}", "name '__builtins__' is not defined"),
        ("{globals()}", "name 'globals' is not defined"),
        ("{s(1)}", "calling 's' is not allowed in templates"),
        ("{x.real}", "attribute '.real' is not allowed in templates"),
        ("{config.get}", "attribute '.get' is not allowed in templates"),
        ("{items.pop()}", "method 'pop' of list is not allowed in templates"),
        ("{items.append(1)}", "method 'append' of list is not allowed in templates"),
        ("{config.clear()}", "method 'clear' of dict is not allowed in templates"),
        ("{config.update(x=1)}", "method 'update' of dict is not allowed in templates"),
        ("{s.encode()}", "method 'encode' of str is not allowed in templates"),
        ("{s.format_map(config)}", "method 'format_map' of str is not allowed in templates"),
        ("{(lambda: 1)()}", "lambda is not allowed in templates"),
        ("{[c for c in s]}", "a comprehension is not allowed in templates"),
        ("{list(c for c in s)}", "name 'list' is not defined"),
        ("{(y := 1)}", "an assignment expression (:=) is not allowed in templates"),
        ("{s.join(*items)}", "* unpacking is not allowed in templates"),
        ("{s.format(**config)}", "** unpacking is not allowed in templates"),
        ("{2 ** 10}", "operator ** is not allowed in templates"),
        ("{1 << 100000}", "operator << is not allowed in templates"),
        ("{'%s' % s}", "operator % is only allowed on numbers in templates"),
        ("{'a' * 1000000000}", "repetition longer than 65536"),
        ("{1000000000 * 'a'}", "repetition longer than 65536"),
        ("{items * 3}", "repeating a list or tuple is not allowed in templates"),
        ("{big + big}", "result longer than 65536 characters"),
        ("{big}{big}", "result longer than 65536 characters"),
        ("{'ab'.replace('', big)}", "result longer than 65536 characters"),
        ("{big.replace('x', 'yy')}", "result longer than 65536 characters"),
        ("{'-'.join([big, big])}", "result longer than 65536 characters"),
        ("{s:>999999999}", "format width or precision larger than 65536"),
        ("{x:.100000000f}", "format width or precision larger than 65536"),
        ("{'{:>{}}'.format(s, 999999999)}", "format width or precision larger than 65536"),
        ("{s.center(100000000)}", "width larger than 65536"),
        ("{s.zfill(100000000)}", "width larger than 65536"),
        ("{[big, big, big]}", "result longer than 65536 characters"),
        ("{({'a': big}, {'b': big})!r}", "result longer than 65536 characters"),
        ("{'{0!r}'.format([big, big, big])}", "result longer than 65536 characters"),
        ("{x" + " * 10000000000" * 10 + "}", "integer result too large"),
    ],
)
def test_hostile_templates_are_rejected(template: str, reason: str, tmp_path: pathlib.Path) -> None:
    namespace = {"x": 7, "s": "text", "items": [1, 2], "big": BIG, "config": {"a": 1}}
    snapshot = repr(namespace)
    started = time.monotonic()
    error = rejection(template, namespace)
    assert time.monotonic() - started < 1.0
    assert reason in error.detail
    assert repr(namespace) == snapshot  # nothing was mutated


def test_open_does_not_touch_the_file_system(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rejection("{open('created', 'w')}", {})
    assert list(tmp_path.iterdir()) == []


def test_limits_allow_large_but_bounded_results() -> None:
    assert len(evaluate("{'a' * 65536}", {})) == 65536
    rejection("{'a' * 65537}")
    rejection("x{'a' * 65536}")


def test_overlong_and_deeply_nested_templates_are_rejected() -> None:
    rejection("{x}" + "y" * 70_000, {"x": 1})
    rejection("{" + "1 if 1 else " * 3000 + "1}", {})
    rejection("{" + "(" * 500 + "1" + ")" * 500 + "}", {})
