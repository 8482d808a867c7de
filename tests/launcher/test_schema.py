"""The JSON schema shipped for editors agrees with the configuration code and the docs.

Structural checks always run. Validation with ``jsonschema`` runs only where it happens to
be installed: it is not a dependency of the package or of the test suite.
"""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from remote_http_launcher import paths
from remote_http_launcher.launch import hosts
from remote_http_launcher.launch.config import FIELDS, LOG_LEVELS, Configuration, schema_path
from remote_http_launcher.launch.errors import ConfigError

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "launcher" / "config.md"
SCHEMA: dict[str, Any] = json.loads(pathlib.Path(schema_path()).read_text(encoding="utf-8"))
TEMPLATE_FIELDS = ("key", "command")


def doc_examples() -> list[tuple[str, dict[str, Any], str | None]]:
    """(id, mapping, expected error field or None) for every YAML block of the config page."""
    text = DOC.read_text(encoding="utf-8")
    examples = []
    for match in re.finditer(r"^```yaml\n(.*?)^```[ \t]*$", text, re.MULTILINE | re.DOTALL):
        block = match.group(1)
        error = re.search(r"^# error: ([a-z_.]+): ", block, re.MULTILINE)
        line = text.count("\n", 0, match.start()) + 1
        examples.append((f"line{line}", yaml.safe_load(block), error.group(1) if error else None))
    return examples


EXAMPLES = doc_examples()


def test_schema_is_draft_2020_12_and_ships_in_the_package() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert pathlib.Path(schema_path()).parent.name == "launch"
    assert SCHEMA["type"] == "object" and SCHEMA["additionalProperties"] is True


def test_every_configuration_field_is_in_the_schema() -> None:
    assert set(FIELDS) <= set(SCHEMA["properties"])
    assert SCHEMA["required"] == ["workdir", "key", "command"]
    for name in FIELDS:
        assert SCHEMA["properties"][name].get("description"), f"{name} has no description"


def test_schema_fields_are_fields_or_documented_template_variables() -> None:
    extra = set(SCHEMA["properties"]) - set(FIELDS)
    assert extra == {"timeout", "port_start", "port_end", "workers", "cluster_string"}
    for name in extra:
        assert SCHEMA["properties"][name]["description"].startswith("Template variable")


def test_schema_constants_match_the_code() -> None:
    properties = SCHEMA["properties"]
    assert properties["log_level"]["enum"] == list(LOG_LEVELS)
    assert properties["network_interface"]["default"] == "localhost"
    system = next(item["enum"] for item in properties["workdir"]["not"]["anyOf"] if "enum" in item)
    assert sorted(system) == sorted(paths.SYSTEM_ROOTS)


DNS_PATTERN = re.compile(SCHEMA["$defs"]["host"]["anyOf"][0]["pattern"])


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="ab0-._@:", max_size=12),
        st.lists(st.text(alphabet="a-", min_size=0, max_size=65), min_size=1, max_size=5).map(".".join),
    )
)
def test_schema_dns_pattern_equals_the_code(host: str) -> None:
    assert bool(DNS_PATTERN.match(host)) == hosts.is_dns_name(host)


# --- validation with jsonschema, where installed ---------------------------------------------


@pytest.fixture(scope="module")
def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


@pytest.mark.parametrize(("name", "mapping", "error_field"), EXAMPLES, ids=[name for name, _, _ in EXAMPLES])
def test_doc_examples_against_schema(
    validator: Any, name: str, mapping: dict[str, Any], error_field: str | None
) -> None:
    errors = list(validator.iter_errors(mapping))
    if error_field is None or error_field in TEMPLATE_FIELDS:
        assert errors == [], [error.message for error in errors]  # templates are beyond a schema
    else:
        assert errors, f"the schema accepts an example the launcher rejects ({error_field})"


MINIMAL = {"workdir": "/tmp/svc", "key": "svc", "command": "svc --status-file {status_file}"}


@pytest.mark.parametrize(
    "changes",
    [
        {"workdir": "relative"},
        {"workdir": "/tmp/../etc"},
        {"workdir": "/usr"},
        {"workdir": "/tmp/a b"},
        {"hostname": "user@host"},
        {"hostname": "eth0:1"},
        {"ssh_hostname": "a_b"},
        {"network_interface": None},
        {"tunnel": "yes"},
        {"tunnel": True},
        {"handshake": 5},
        {"handshake": {"path": 1}},
        {"handshake": {"parameters": {"a": None}}},
        {"file_parameters": [1]},
        {"meta": "x"},
        {"conda": 1},
        {"log_level": "loud"},
        {"log_file": 1},
    ],
)
def test_schema_rejects_what_the_launcher_rejects(validator: Any, changes: dict[str, Any]) -> None:
    mapping = {**MINIMAL, **changes}
    with pytest.raises(ConfigError):
        Configuration.from_mapping(mapping)
    assert list(validator.iter_errors(mapping)), f"schema accepts {changes}"


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"hostname": "frontend", "tunnel": True, "ssh_hostname": None, "conda": None},
        {"hostname": "::1", "network_interface": "0.0.0.0", "handshake": {"path": "h", "port_name": "p"}},
        {"handshake": "healthcheck", "meta": {"a": [1]}, "file_parameters": {"b": 2}, "timeout": 600},
        {"workdir": "~", "log_level": "minimal", "log_file": "~/l.log", "anything_else": [1, 2]},
    ],
)
def test_schema_accepts_what_the_launcher_accepts(validator: Any, changes: dict[str, Any]) -> None:
    mapping = {**MINIMAL, **changes}
    Configuration.from_mapping(mapping)
    assert list(validator.iter_errors(mapping)) == []
