"""jsontext (JSON through the C accelerator, without ``import json``) says what json says."""

from __future__ import annotations

import json
import math
import pathlib
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remote_http_launcher import jsontext
from remote_http_launcher.state import loads_strict

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
)


@given(values)
def test_dumps_is_json_dumps_sorted(value: object) -> None:
    assert jsontext.dumps(value) == json.dumps(value, sort_keys=True, allow_nan=False)
    assert jsontext.dumps(value, sort_keys=False) == json.dumps(value, allow_nan=False)


@pytest.mark.parametrize("bad", [math.nan, math.inf, [1, -math.inf], {"a": {"b": math.nan}}])
def test_dumps_refuses_nan_like_json(bad: object) -> None:
    with pytest.raises(ValueError) as ours:
        jsontext.dumps(bad)
    with pytest.raises(ValueError) as theirs:
        json.dumps(bad, sort_keys=True, allow_nan=False)
    assert str(ours.value) == str(theirs.value)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _refuse(name: str) -> float:
    raise ValueError(f"not standard JSON: {name}")


decode = jsontext.make_decoder(_finite, _refuse)
reference = json.JSONDecoder(parse_float=_finite, parse_constant=_refuse).decode


def _outcome(function: object, text: str) -> tuple[str, object]:
    try:
        return "value", function(text)  # type: ignore[operator]
    except ValueError as exc:  # JSONDecodeError is one
        return type(exc).__name__, str(exc)


@given(values.map(json.dumps) | st.text(alphabet=' \t\n\r{}[]",:0123456789.eE+-truefalsnNaI\\u', max_size=40))
def test_decode_is_json_decode(text: str) -> None:
    assert _outcome(decode, text) == _outcome(reference, text)


@pytest.mark.parametrize(
    "text", ["", "   ", "{} x", "{}\n\n", '\n {"a": 1} \t', "[1e400]", "NaN", "[Infinity]", '{"a": }', "[1,]"]
)
def test_decode_edge_cases_match(text: str) -> None:
    assert _outcome(decode, text) == _outcome(reference, text)


def test_deep_nesting_is_json_too_deep() -> None:
    from remote_http_launcher.state import JSONTooDeep

    with pytest.raises(JSONTooDeep):
        loads_strict("[" * 200000 + "]" * 200000)


def test_a_listing_does_not_import_json(tmp_path: object) -> None:
    """The point of the module: rhl-ps --json reads and prints without importing json (and
    re), nor signal (whose enums cost as much): a listing's start-up is the interpreter's."""
    code = (
        "import sys\n"
        "from remote_http_launcher.commands._run import run_argv\n"
        "run_argv('rhl-ps', ['--json'])\n"
        "print(*(name in sys.modules for name in ('json', 're', 'enum', 'signal')), file=sys.stderr)\n"
    )
    server = tmp_path / "server"  # type: ignore[operator]
    server.mkdir()
    (server / "k.json").write_text('{"status": "failed", "pid": 1, "started_at": 1.5, "meta": {}}')
    env = {"REMOTE_HTTP_LAUNCHER_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out
    assert out.stdout.startswith('{"exit": null, "json_status": "failed", "key": "k"'), out
    assert out.stderr == "False False False False\n", out


def test_malformed_text_in_a_fresh_process_gets_jsons_message(tmp_path: object) -> None:
    """The C scanner finds json's error class only once json.decoder is imported: a
    malformed state file read first thing in a process still gets json's exact message."""
    server = tmp_path / "server"  # type: ignore[operator]
    server.mkdir()
    (server / "broken.json").write_text("{not json")
    helper = pathlib.Path(sys.executable).parent / "rhl-ps"
    env = {"REMOTE_HTTP_LAUNCHER_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([str(helper), "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out
    row = json.loads(out.stdout)
    assert row["status"] == "corrupt"
    assert row["error"] == (
        f"malformed JSON in {server}/broken.json: "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    )
