"""jsontext.dumps_indented (state files, without ``import json``) writes what json writes."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remote_http_launcher import jsontext
from remote_http_launcher.state import dump_state

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=40,
)


@settings(max_examples=500)
@given(values)
def test_dumps_indented_is_json_dumps_indent_2_sorted(value: object) -> None:
    expected = json.dumps(value, indent=2, sort_keys=True, allow_nan=False)
    assert jsontext.dumps_indented(value) == expected


@given(st.dictionaries(st.text(), values, max_size=6))
def test_dump_state_is_the_0_4_5_layout(data: dict[str, object]) -> None:
    assert dump_state(data) == (json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


@pytest.mark.parametrize(
    "value",
    [{1: "x", 2.5: "y"}, {"a": {True: 1, False: 2}}, [{3: []}]],
)
def test_keys_that_are_not_strings_are_converted_as_json_does(value: object) -> None:
    assert jsontext.dumps_indented(value) == json.dumps(value, indent=2, sort_keys=True, allow_nan=False)


@pytest.mark.parametrize(
    "bad", [math.nan, {"a": [math.inf]}, {"a": object()}, {"a": {1: 2, "b": 3}}, {"x": {None: 1, 2: 3}}]
)
def test_refusals_are_json_s_own(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)) as ours:
        jsontext.dumps_indented(bad)
    with pytest.raises((TypeError, ValueError)) as theirs:
        json.dumps(bad, indent=2, sort_keys=True, allow_nan=False)
    assert (type(ours.value), str(ours.value)) == (type(theirs.value), str(theirs.value))
