"""The launcher configuration: fields, messages, order of checks, templates, files, docs.

What a user sees is the error line (``<field>: <sentence>``) or the evaluated key and
command; the tests assert exactly those. Compatibility with 0.4.5 is checked against its own
``Configuration`` where the reference is available: same key for every configuration both
accept, the same sentence for every configuration both reject, and a rejection on our side
only where it is deliberate (§12 item 11 of the spec: mistakes found before launching).
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import pickle
import re
import subprocess
import sys
import types
from typing import Any

import pytest
import yaml

from conftest import RhlEnv
from remote_http_launcher.launch import config as config_module
from remote_http_launcher.launch.config import FIELDS, Configuration, Handshake, handshake_url
from remote_http_launcher.launch.errors import ConfigError, LauncherError

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "launcher" / "config.md"
DOC_STATUS_FILE = "/home/alice/.remote-http-launcher/server/{key}.json"

MINIMAL: dict[str, Any] = {
    "workdir": "/tmp/svc",
    "key": "svc",
    "command": "my-service --status-file {status_file}",
}


def config(**changes: Any) -> dict[str, Any]:
    """MINIMAL with ``changes`` applied; a value of ``...`` removes the field."""
    result = dict(MINIMAL)
    for name, value in changes.items():
        if value is ...:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def error_of(mapping: Any, **overrides: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        Configuration.from_mapping(mapping, **overrides)
    error = info.value
    assert "\n" not in str(error)
    if error.field is not None:
        assert str(error) == f"{error.field}: {error.detail}"
    return error


# --- the documentation's examples ----------------------------------------------------------


def doc_blocks(language: str) -> list[tuple[int, str]]:
    text = DOC.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(rf"^```{language}\n(.*?)^```[ \t]*$", text, re.MULTILINE | re.DOTALL):
        blocks.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return blocks


def annotations(block: str) -> dict[str, str]:
    found = {}
    for line in block.splitlines():
        for name in ("evaluated key", "evaluated command", "error"):
            prefix = f"# {name}: "
            if line.startswith(prefix):
                found[name] = line[len(prefix) :]
    return found


YAML_BLOCKS = doc_blocks("yaml")


def test_the_page_has_examples() -> None:
    assert len(YAML_BLOCKS) >= 8
    assert sum("error" in annotations(block) for _, block in YAML_BLOCKS) >= 4


@pytest.mark.parametrize(("line", "block"), YAML_BLOCKS, ids=[f"line{line}" for line, _ in YAML_BLOCKS])
def test_doc_yaml_example(line: int, block: str) -> None:
    expected = annotations(block)
    mapping = yaml.safe_load(block)
    if "error" in expected:
        message = str(error_of(mapping))
        wanted = expected["error"]
        if wanted.endswith("(<config>, line 1)") and sys.version_info >= (3, 12):
            wanted, message = wanted.split("': ")[0], message.split("': ")[0]  # parser wording varies
        assert message == wanted
        return
    loaded = Configuration.from_mapping(mapping)
    assert loaded.warnings == []
    if "evaluated key" in expected:
        assert loaded.key == expected["evaluated key"]
    status_file = DOC_STATUS_FILE.format(key=loaded.key)
    command = loaded.command_string(status_file)
    if "evaluated command" in expected:
        assert command == expected["evaluated command"]
    assert loaded.command_argv(status_file)


@pytest.mark.parametrize(("line", "block"), doc_blocks("python"))
def test_doc_python_example(line: int, block: str) -> None:
    exec(compile(block, f"{DOC}:{line}", "exec"), {})


def test_doc_fields_table_lists_every_field() -> None:
    text = DOC.read_text(encoding="utf-8")
    table_fields = re.findall(r"^\| `([a-z_]+)` \|", text, re.MULTILINE)
    assert set(FIELDS) <= set(table_fields)


def test_doc_check_order_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### The order of the checks", 1)[1].split("```", 1)[0]
    listed = re.findall(r"`([a-z_]+)`", section)
    assert listed == list(CHECK_ORDER)


def test_doc_handshake_example_url() -> None:
    block = next(block for _, block in YAML_BLOCKS if "status?full=1" in block)
    handshake = Configuration.from_mapping(yaml.safe_load(block)).handshake
    assert handshake is not None
    assert handshake.url("HOST", 8080) == "http://HOST:8080/status?full=1&format=json"


# --- fields and messages -------------------------------------------------------------------


def test_minimal_configuration() -> None:
    loaded = Configuration.from_mapping(MINIMAL)
    assert (loaded.workdir, loaded.key, loaded.command_template) == ("/tmp/svc", "svc", MINIMAL["command"])
    assert loaded.hostname is None and loaded.ssh_hostname is None and loaded.ssh_target is None
    assert not loaded.is_remote and loaded.tunnel is False
    assert loaded.network_interface == "localhost"
    assert loaded.handshake is None and loaded.conda is None and loaded.conda_env is None
    assert loaded.file_parameters is None and loaded.meta is None
    assert (loaded.log_level, loaded.log_file, loaded.debug_log_file) == ("basic", None, None)
    assert loaded.mapping == MINIMAL and loaded.warnings == []


def test_full_configuration() -> None:
    mapping = config(
        hostname="frontend.example.org",
        ssh_hostname="frontend-alias",
        network_interface="0.0.0.0",
        tunnel=True,
        handshake={
            "path": "health",
            "parameters": {"a": 1, "b": 2.5, "c": "x"},
            "port_name": "dashboard_port",
        },
        conda="seamless",
        file_parameters={"workers": 4},
        meta={"cluster": "c"},
        log_level="minimal",
        log_file="~/a.log",
        debug_log_file="~/b.log",
        timeout=600,
    )
    loaded = Configuration.from_mapping(mapping)
    assert loaded.is_remote and loaded.ssh_target == "frontend-alias" and loaded.tunnel
    assert loaded.handshake == Handshake("health", {"a": "1", "b": "2.5", "c": "x"}, "dashboard_port")
    assert (loaded.conda, loaded.file_parameters, loaded.meta) == (
        "seamless",
        {"workers": 4},
        {"cluster": "c"},
    )
    assert (loaded.log_level, loaded.log_file, loaded.debug_log_file) == ("minimal", "~/a.log", "~/b.log")
    assert "log_level" not in loaded.mapping and loaded.mapping["timeout"] == 600
    assert loaded.warnings == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"workdir": ...}, "workdir: workdir must be provided and be a string."),
        ({"workdir": 5}, "workdir: workdir must be provided and be a string."),
        ({"workdir": "/tmp/a b"}, "workdir: workdir must be a plausible UNIX directory name."),
        ({"workdir": ""}, "workdir: workdir must be a plausible UNIX directory name."),
        ({"workdir": "/tmp/$HOME"}, "workdir: workdir must be a plausible UNIX directory name."),
        ({"workdir": "data"}, "workdir: workdir must be an absolute path or start with ~ (got 'data')."),
        ({"workdir": "./data"}, "workdir: workdir must be an absolute path or start with ~ (got './data')."),
        ({"workdir": "/tmp/../etc"}, "workdir: workdir must not contain '..' (got '/tmp/../etc')."),
        ({"workdir": "~/.."}, "workdir: workdir must not contain '..' (got '~/..')."),
        ({"workdir": "/"}, "workdir: workdir must not be a system directory (got '/')."),
        ({"workdir": "//usr/"}, "workdir: workdir must not be a system directory (got '//usr/')."),
        ({"hostname": 5}, "hostname: hostname must be a string when provided."),
        ({"hostname": "alice@frontend"}, "hostname: hostname must be an HTTP hostname or IP address."),
        ({"hostname": "eth0:1"}, "hostname: hostname must be an HTTP hostname or IP address."),
        ({"hostname": "under_score"}, "hostname: hostname must be an HTTP hostname or IP address."),
        ({"hostname": "-lead.example"}, "hostname: hostname must be an HTTP hostname or IP address."),
        ({"hostname": "a" * 64}, "hostname: hostname must be an HTTP hostname or IP address."),
        ({"hostname": ("a" * 63 + ".") * 4}, "hostname: hostname must be an HTTP hostname or IP address."),
        ({"hostname": ""}, "hostname: hostname must be an HTTP hostname or IP address."),
        ({"ssh_hostname": ["x"]}, "ssh_hostname: ssh_hostname must be a string when provided."),
        (
            {"ssh_hostname": "bob@host"},
            "ssh_hostname: ssh_hostname must be a valid SSH hostname or IP address.",
        ),
        ({"network_interface": None}, "network_interface: network_interface must be a string."),
        ({"network_interface": "eth0"}, None),
        (
            {"network_interface": "eth0:1"},
            "network_interface: network_interface must be a valid HTTP hostname or IP address.",
        ),
        (
            {"handshake": 5},
            "handshake: handshake must be a string path or a mapping with path and parameters.",
        ),
        (
            {"handshake": ["health"]},
            "handshake: handshake must be a string path or a mapping with path and parameters.",
        ),
        ({"handshake": {"path": 1}}, "handshake.path: handshake.path must be a string."),
        ({"handshake": {"parameters": []}}, "handshake.parameters: handshake.parameters must be a mapping."),
        (
            {"handshake": {"parameters": {"a": None}}},
            "handshake.parameters: handshake parameters must map strings to simple values.",
        ),
        (
            {"handshake": {"parameters": {1: "a"}}},
            "handshake.parameters: handshake parameters must map strings to simple values.",
        ),
        ({"handshake": {"port_name": 3}}, "handshake.port_name: handshake.port_name must be a string."),
        ({"file_parameters": []}, "file_parameters: file_parameters must be a mapping when provided."),
        (
            {"file_parameters": {"a": {1, 2}}},
            "file_parameters: file_parameters must contain JSON-serializable values.",
        ),
        ({"tunnel": "yes"}, "tunnel: tunnel must be a boolean when provided."),
        ({"tunnel": None}, "tunnel: tunnel must be a boolean when provided."),
        ({"tunnel": 1}, "tunnel: tunnel must be a boolean when provided."),
        (
            {"tunnel": True},
            "tunnel: tunnel is true but hostname is not set "
            "(a tunnel forwards a local port to a remote service).",
        ),
        ({"key": ...}, "key: key must be provided and be a string."),
        ({"key": 7}, "key: key must be provided and be a string."),
        ({"key": "{nope}"}, "key: Failed to evaluate template f'{nope}': name 'nope' is not defined"),
        ({"key": "a/b"}, "key: The key must be a plausible UNIX file name. Evaluated key: 'a/b' (allowed: "),
        ({"key": ""}, "key: The key must be a plausible UNIX file name. Evaluated key: '' (allowed: "),
        ({"key": "{''}"}, "key: The key must be a plausible UNIX file name. Evaluated key: '' (allowed: "),
        ({"key": "-x"}, "key: The key must be a plausible UNIX file name. Evaluated key: '-x' (allowed: "),
        (
            {"key": ".hidden"},
            "key: The key must be a plausible UNIX file name. Evaluated key: '.hidden' (allowed: ",
        ),
        ({"key": "k" * 201}, "key: The key must be a plausible UNIX file name. Evaluated key: 'kkk"),
        ({"command": ...}, "command: command must be provided and be a string."),
        ({"command": ["a"]}, "command: command must be provided and be a string."),
        ({"command": "a {b"}, "command: Failed to evaluate template f'a {b': "),
        (
            {"command": "a {x.__class__}"},
            "command: Failed to evaluate template f'a {x.__class__}': access to '__cl",
        ),
        (
            {"command": "{len(key)}"},
            "command: Failed to evaluate template f'{len(key)}': calling 'len' is not ",
        ),
        ({"conda": 5}, "conda: The conda field, when present, must be a string."),
        ({"meta": "x"}, "meta: meta must be a mapping when provided."),
        ({"meta": {"when": object()}}, "meta: meta must contain JSON-serializable values."),
        ({"log_level": "loud"}, "log_level: log_level must be one of: minimal, basic, debug."),
        ({"log_level": None}, "log_level: log_level must be one of: minimal, basic, debug."),
        ({"log_file": 5}, "log_file: log_file must be a string when provided."),
        ({"debug_log_file": []}, "debug_log_file: debug_log_file must be a string when provided."),
    ],
)
def test_field_errors(changes: dict[str, Any], expected: str | None) -> None:
    if expected is None:
        Configuration.from_mapping(config(**changes))
        return
    error = error_of(config(**changes))
    assert str(error).startswith(expected)
    assert error.field == expected.split(":", 1)[0]


@pytest.mark.parametrize("value", [[1], "workdir: /tmp", None, 3])
def test_non_mapping_is_rejected(value: Any) -> None:
    error = error_of(value)
    assert error.field is None and str(error) == "Configuration mapping must be a dictionary."


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "a",
        "a-b.c",
        "frontend.example.org.",
        "10.0.0.1",
        "999.1.1.1",
        "::1",
        "fe80::1%eth0",
        "2001:db8::8a2e:370:7334",
        "x" * 63 + ".y",
        ("a" * 62 + ".") * 4 + "b",
    ],
)
def test_valid_hosts(host: str) -> None:
    loaded = Configuration.from_mapping(config(hostname=host, ssh_hostname=host, network_interface=host))
    assert loaded.hostname == loaded.ssh_target == loaded.network_interface == host


CHECK_ORDER = (
    "log_level",
    "log_file",
    "debug_log_file",
    "workdir",
    "hostname",
    "ssh_hostname",
    "network_interface",
    "handshake",
    "file_parameters",
    "tunnel",
    "key",
    "command",
    "conda",
    "meta",
)
BAD_VALUES: dict[str, Any] = {
    "log_level": "loud",
    "log_file": 1,
    "debug_log_file": 1,
    "workdir": "bad dir",
    "hostname": "a@b",
    "ssh_hostname": "a@b",
    "network_interface": "a@b",
    "handshake": 1,
    "file_parameters": 1,
    "tunnel": "yes",
    "key": "{undefined}",
    "command": 1,
    "conda": 1,
    "meta": 1,
}


def test_first_failure_wins_in_the_documented_order() -> None:
    mapping = dict(BAD_VALUES)
    for field in CHECK_ORDER:
        assert error_of(mapping).field == field
        if field in MINIMAL:
            mapping[field] = MINIMAL[field]
        else:
            del mapping[field]
    assert Configuration.from_mapping(mapping).key == "svc"


def test_unknown_keys_are_template_variables() -> None:
    loaded = Configuration.from_mapping(
        config(
            key="svc-{cluster_string}-{workers}",
            command="svc --timeout {timeout} --port-range {port_start} {port_end} "
            "--status-file {status_file}",
            timeout=600,
            port_start=5100,
            port_end=5199,
            workers=4,
            cluster_string="local",
            **{"not an identifier": 1},
        )
        | {3: "int key"}
    )
    assert loaded.key == "svc-local-4"
    assert loaded.command_argv("/s.json") == [
        "svc",
        "--timeout",
        "600",
        "--port-range",
        "5100",
        "5199",
        "--status-file",
        "/s.json",
    ]
    assert loaded.mapping[3] == "int key"


# --- template namespaces -------------------------------------------------------------------


def test_key_namespace() -> None:
    mapping = config(
        key="k-{key.count('{')}-{config['workdir'].strip('/').replace('/', '.')}"
        "-{meta['m']}-{'log_level' in config}",
        meta={"m": "meta"},
        log_level="debug",
    )
    assert Configuration.from_mapping(mapping).key == "k-5-tmp.svc-meta-False"


def test_logging_keys_are_invisible_to_templates() -> None:
    error = error_of(config(key="{log_level}", log_level="minimal"))
    assert error.detail.endswith("name 'log_level' is not defined")


def test_command_namespace() -> None:
    loaded = Configuration.from_mapping(
        config(
            key="svc-{n}",
            n=1,
            command="run {key} {config['key']} {status_file} {meta.get('m')} {workdir} {n}",
            meta={"m": "x"},
        )
    )
    assert loaded.command_string("/st.json") == "run svc-1 svc-{n} /st.json x /tmp/svc 1"


def test_meta_is_absent_from_the_namespace_without_meta() -> None:
    loaded = Configuration.from_mapping(config(command="svc {meta}"))
    with pytest.raises(ConfigError, match=r"^command: .*name 'meta' is not defined$"):
        loaded.command_string("/s")


def test_no_defaults_are_injected() -> None:
    loaded = Configuration.from_mapping(config(command="svc --host {network_interface}"))
    with pytest.raises(ConfigError, match=r"name 'network_interface' is not defined$"):
        loaded.command_string("/s")
    loaded = Configuration.from_mapping(
        config(command="svc{' --host ' + config.get('network_interface', 'dflt')}")
    )
    assert loaded.command_string("/s") == "svc --host dflt"


def test_status_file_is_not_available_to_the_key() -> None:
    error = error_of(config(key="{status_file}"))
    assert error.detail.endswith("name 'status_file' is not defined")


# --- the command ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("svc --flag 'two words' {status_file}", ["svc", "--flag", "two words", "/s.json"]),
        ('svc "a \\"quoted\\" word"', ["svc", 'a "quoted" word']),
        ("  svc  ", ["svc"]),
    ],
)
def test_command_argv(command: str, expected: list[str]) -> None:
    assert Configuration.from_mapping(config(command=command)).command_argv("/s.json") == expected


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("   ", "command: The command must be a plausible bash command."),
        ("{''}", "command: The command must be a plausible bash command."),
        ("svc{chr}", "command: The command must be a plausible bash command."),
        ("svc 'unclosed", "command: Failed to split evaluated command: No closing quotation"),
        ("''", "command: The command must include a service binary."),
    ],
)
def test_command_errors(command: str, message: str) -> None:
    loaded = Configuration.from_mapping(config(command=command, chr="\n"))
    with pytest.raises(ConfigError) as info:
        loaded.command_argv("/s.json")
    assert str(info.value) == message


# --- early checks, warnings, remote properties ---------------------------------------------


def test_ssh_hostname_without_hostname_is_ignored_with_a_warning() -> None:
    loaded = Configuration.from_mapping(config(ssh_hostname="jump"))
    assert loaded.ssh_hostname == "jump" and loaded.ssh_target is None and not loaded.is_remote
    assert loaded.warnings == [
        "ssh_hostname is ignored because hostname is not set: the service runs locally."
    ]


def test_null_ssh_hostname_means_hostname() -> None:
    loaded = Configuration.from_mapping(
        config(hostname="frontend", ssh_hostname=None, network_interface="0.0.0.0")
    )
    assert loaded.ssh_target == "frontend" and loaded.warnings == []


def test_remote_service_bound_to_loopback_without_tunnel_warns() -> None:
    loaded = Configuration.from_mapping(config(hostname="frontend"))
    assert len(loaded.warnings) == 1 and "binds to localhost on frontend" in loaded.warnings[0]
    assert Configuration.from_mapping(config(hostname="frontend", tunnel=True)).warnings == []
    assert Configuration.from_mapping(config(hostname="127.0.0.1")).warnings == []
    assert Configuration.from_mapping(config(hostname="frontend", network_interface="0.0.0.0")).warnings == []


def test_empty_conda_means_none() -> None:
    assert Configuration.from_mapping(config(conda="")).conda is None


def test_log_overrides_win_over_the_mapping() -> None:
    loaded = Configuration.from_mapping(
        config(log_level="loud", log_file=5), log_level="debug", log_file="/l", debug_log_file="/d"
    )
    assert (loaded.log_level, loaded.log_file, loaded.debug_log_file) == ("debug", "/l", "/d")
    assert error_of(MINIMAL, log_level="loud").field == "log_level"


def test_configuration_is_read_only() -> None:
    loaded = Configuration.from_mapping(MINIMAL)
    with pytest.raises(AttributeError):
        loaded.key = "other"  # type: ignore[misc]
    assert loaded.handshake is None
    handshake = Handshake("h")
    with pytest.raises(AttributeError):
        handshake.path = "x"  # type: ignore[misc]
    assert repr(loaded) == "<Configuration key='svc' local workdir='/tmp/svc'>"


def test_config_error_is_a_launcher_error() -> None:
    error = error_of(config(workdir=1))
    assert isinstance(error, LauncherError) and isinstance(error, RuntimeError)
    assert error.exit_code == 1
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.field, str(copy)) == (error.field, str(error))
    assert str(ConfigError("x", "two\nlines")) == "x: two lines"


def test_from_mapping_is_cheap_and_import_light() -> None:
    """Seamless builds a Configuration just to learn the key: no yaml, ast, typing... ."""
    code = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        "from remote_http_launcher import Configuration\n"
        'key = \'h-{"/p/S".strip("/").replace("/", "-")}\'\n'
        "cfg = Configuration.from_mapping({'workdir': '/tmp', 'key': key, 'command': 'x'})\n"
        "heavy = [m for m in ('yaml', 'ast', 'typing', 'dataclasses', 'inspect', 'shlex', 'json',"
        " 'urllib.parse',"
        " 'enum', 'functools') if m in sys.modules]\n"
        "print(cfg.key, heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout == "h-p-S []\n"


# --- files ---------------------------------------------------------------------------------


def test_from_yaml(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "svc.yaml"
    path.write_text("workdir: /tmp/svc\nkey: svc-{n}\nn: 2\ncommand: svc\nlog_level: minimal\n")
    loaded = Configuration.from_yaml(path)
    assert (loaded.key, loaded.log_level) == ("svc-2", "minimal")
    assert Configuration.from_yaml(str(path), log_level="debug").log_level == "debug"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "configuration file not found: {path}"),
        ("", "Configuration mapping must be a dictionary ({path} holds nothing)."),
        ("- a\n- b\n", "Configuration mapping must be a dictionary ({path} holds a list)."),
        ("just text\n", "Configuration mapping must be a dictionary ({path} holds a str)."),
        ("a: [1, 2\nb: 3\n", "invalid YAML in {path}: expected ',' or ']', but got ':' at line 2, column 2"),
        ("a: 1\n  b: 2\n", "invalid YAML in {path}: mapping values are not allowed here at line 2, column 4"),
        (
            "workdir: /tmp/a\nkey: k\nworkdir: /tmp/b\n",
            "invalid YAML in {path}: duplicate key 'workdir' (first written at line 1) at line 3, column 1",
        ),
        (b"workdir: /tmp\xff\n", "cannot read configuration file {path}: not UTF-8 text (byte 13)"),
    ],
)
def test_from_yaml_errors(tmp_path: pathlib.Path, content: str | bytes | None, message: str) -> None:
    path = tmp_path / "svc.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as info:
        Configuration.from_yaml(path)
    assert info.value.field is None
    assert str(info.value) == message.format(path=path)


def test_from_yaml_directory(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ConfigError, match=r"^cannot read configuration file .*: not a regular file$"):
        Configuration.from_yaml(tmp_path)


def test_a_fifo_named_as_the_configuration_is_an_error_at_once(rhl: RhlEnv) -> None:
    """``remote-http-launcher FIFO``: one line and exit 2 at once (before, reading the file for
    the plan cache's checksum waited for a writer forever); nothing is started."""
    fifo = rhl.tmp / "svc.yaml"
    os.mkfifo(fifo)
    try:
        result = rhl.run("remote-http-launcher", str(fifo), timeout=30)
    finally:
        fifo.unlink()
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"remote-http-launcher: invalid configuration {fifo}: cannot read configuration file {fifo}: "
        "not a regular file\n"
    )
    assert list(rhl.server.glob("*.json")) == []  # nothing launched (glob of a missing dir: [])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_from_yaml_unreadable(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "svc.yaml"
    path.write_text("workdir: /tmp\n")
    path.chmod(0)
    with pytest.raises(ConfigError, match=r"^cannot read configuration file .*: Permission denied$"):
        Configuration.from_yaml(path)


# --- handshake -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handshake", "host", "expected"),
    [
        (None, "h", "http://h:1/"),
        (Handshake(), "h", "http://h:1/"),
        (Handshake("healthcheck"), "h", "http://h:1/healthcheck"),
        (Handshake("/health"), "h", "http://h:1/health"),
        (Handshake("status?full=1&empty="), "h", "http://h:1/status?full=1&empty="),
        (Handshake("status?a=1&b=2", {"b": "3", "c": "x y"}), "h", "http://h:1/status?a=1&b=3&c=x+y"),
        (Handshake("", {"token": "t"}), "h", "http://h:1/?token=t"),
        (Handshake("health"), "::1", "http://[::1]:1/health"),
        (Handshake("health"), "fe80::1%eth0", "http://[fe80::1%25eth0]:1/health"),
        (Handshake("a path/é"), "h", "http://h:1/a%20path/%C3%A9"),
        (Handshake("a%20b"), "h", "http://h:1/a%20b"),
    ],
)
def test_handshake_url(handshake: Handshake | None, host: str, expected: str) -> None:
    assert handshake_url(host, 1, handshake) == expected
    if handshake is not None:
        assert handshake.url(host, 1) == expected


def test_handshake_equality() -> None:
    assert Handshake("a", {"x": "1"}) == Handshake("a", {"x": "1"}, None)
    assert Handshake("a") != Handshake("a", port_name="p")
    assert Handshake("a") != "a"


def test_schema_path_exists() -> None:
    assert pathlib.Path(config_module.schema_path()).is_file()


# --- against 0.4.5 -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(reference_bin: pathlib.Path) -> types.ModuleType:
    """remote-http-launcher 0.4.5's module under another name (ours is imported already)."""
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


SEAMLESS_HASHSERVER: dict[str, Any] = {
    "hostname": "frontend",
    "network_interface": "0.0.0.0",
    "conda": "seamless",
    "port_start": 5100,
    "port_end": 5199,
    "log_level": "minimal",
    "log_file": "~/.remote-http-launcher/logs/c/proj/STAGE-x/hashserver.log",
    "debug_log_file": "~/.remote-http-launcher/logs/c/proj/STAGE-x/hashserver.debug.log",
    "timeout": 600,
    "workdir": "/data/buffers/proj/STAGE-x",
    "key": 'hashserver-c-rw-{"/proj/STAGE-x".strip("/").replace("/", "--")}',
    "command": (
        "hashserver{' --port-range {} {}'.format(config.get('port_start'), config.get('port_end')) "
        "if config.get('port_start') is not None and config.get('port_end') is not None else ''} "
        "--status-file {status_file}{' --host ' + config.get('network_interface') "
        "if config.get('network_interface') is not None else ''} --timeout {timeout} {workdir}"
        "{' --writable' if 'rw' == 'rw' else ''}"
    ),
    "handshake": "healthcheck",
    "meta": {"cluster": "c", "project": "proj"},
}

#: (mapping, True if only we reject it, on purpose)
REFERENCE_CASES: list[tuple[Any, bool]] = [
    (MINIMAL, False),
    (SEAMLESS_HASHSERVER, False),
    ({k: v for k, v in SEAMLESS_HASHSERVER.items() if k != "hostname"}, False),
    (config(ssh_hostname="jump"), False),
    (config(hostname="h", ssh_hostname=None), False),
    (config(key="{meta}", meta=None), False),
    (config(key="k-{key[:3]}"), False),
    (config(handshake={"path": "h", "extra": 1}), False),
    (config(network_interface="::1"), False),
    (config(hostname="fe80::1%eth0"), False),
    ([1, 2], False),
    ({}, False),
    (config(workdir=...), False),
    (config(workdir="/a b"), False),
    (config(hostname="a@b"), False),
    (config(hostname=3), False),
    (config(hostname="a_b", workdir=1), False),
    (config(ssh_hostname="a@b", hostname="also@bad"), False),
    (config(network_interface=None), False),
    (config(network_interface="x:y"), False),
    (config(handshake=3), False),
    (config(handshake={"path": 3}), False),
    (config(handshake={"parameters": 3}), False),
    (config(handshake={"parameters": {"a": []}}), False),
    (config(handshake={"port_name": 3}), False),
    (config(file_parameters=3), False),
    (config(file_parameters={"a": object()}), False),
    (config(tunnel="no", file_parameters=3), False),
    (config(tunnel=None), False),
    (config(key=3, tunnel="x"), False),
    (config(key="{x}"), False),
    (config(key="{x", command=None), False),
    (config(key="a b"), False),
    (config(key=""), False),
    (config(command=3, conda=3), False),
    (config(conda=3, meta=3), False),
    (config(meta=3), False),
    (config(meta={"a": {1}}), False),
    (config(log_level="loud", workdir=3), False),
    (config(log_file=3), False),
    (config(debug_log_file=3), False),
    # Deliberate: found here instead of after launching (spec §12 item 11).
    (config(workdir="data"), True),
    (config(workdir="/"), True),
    (config(workdir="/tmp/../etc"), True),
    (config(tunnel=True), True),
    (config(key="-leading-dash"), True),
    (config(key="k" * 201), True),
    (config(command="svc {status_file"), True),
    (config(command="svc {x.__class__}"), True),
]


@pytest.mark.reference
@pytest.mark.parametrize(("mapping", "deliberate"), REFERENCE_CASES)
def test_against_reference(reference: types.ModuleType, mapping: Any, deliberate: bool) -> None:
    try:
        data, _ = reference._extract_logging_config(mapping) if isinstance(mapping, dict) else (mapping, None)
        expected: tuple[bool, str] = (True, reference.Configuration.from_mapping(data).key)
    except reference.LauncherError as exc:
        expected = (False, str(exc))
    try:
        actual: tuple[bool, str] = (True, Configuration.from_mapping(mapping).key)
    except ConfigError as exc:
        actual = (False, exc.detail)
    if deliberate:
        assert expected[0] and not actual[0]
    elif not expected[0] and expected[1].startswith("The key must be a plausible UNIX file name."):
        assert not actual[0] and actual[1].startswith(
            expected[1] + " Evaluated key: "
        )  # 0.4.5's sentence, then the key
    else:
        assert actual == expected


@pytest.mark.reference
def test_command_matches_reference(reference: types.ModuleType) -> None:
    data, _ = reference._extract_logging_config(SEAMLESS_HASHSERVER)
    theirs = reference.Configuration.from_mapping(data)
    namespace = dict(theirs.namespace, status_file="/s.json")
    expected = reference._evaluate_template(theirs.command_template, namespace)
    assert Configuration.from_mapping(SEAMLESS_HASHSERVER).command_string("/s.json") == expected


@pytest.mark.reference
@pytest.mark.parametrize(
    "handshake",
    [
        None,
        {"path": ""},
        "healthcheck",
        "/h",
        "s?a=1&b=",
        {"path": "s?a=1", "parameters": {"a": 2, "c": 1.5}},
    ],
)
def test_handshake_url_matches_reference_for_plain_hosts(reference: types.ModuleType, handshake: Any) -> None:
    theirs = reference.Configuration._parse_handshake(handshake)
    ours = Handshake.from_value(handshake)
    assert handshake_url("10.1.2.3", 5100, ours) == reference.build_handshake_url("10.1.2.3", 5100, theirs)
