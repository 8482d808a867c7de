"""The launcher guide's examples are real: every YAML block is a valid configuration, and the
local example launches and is reused exactly as the guide shows."""

from __future__ import annotations

import json
import pathlib
import re

import yaml

from conftest import ROOT, RhlEnv
from remote_http_launcher import Configuration

GUIDE = ROOT / "docs" / "launcher" / "guide.md"


def yaml_blocks() -> list[dict[str, object]]:
    text = GUIDE.read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"^```yaml\n(.*?)^```", text, re.M | re.S)]


def test_every_yaml_example_is_a_valid_configuration() -> None:
    blocks = yaml_blocks()
    assert len(blocks) == 4
    keys = [Configuration.from_mapping(block).key for block in blocks]
    assert keys[0] == "hashserver-local-rw-myproject"
    assert Configuration.from_mapping(blocks[2]).tunnel is True
    assert Configuration.from_mapping(blocks[3]).conda == "seamless-env"


def test_local_example_launches_and_is_reused(rhl: RhlEnv, tmp_path: pathlib.Path) -> None:
    example = yaml_blocks()[0]
    example["workdir"] = str(tmp_path / "buffers")
    example["port_start"], example["port_end"] = 6100, 6199
    config = tmp_path / "hashserver-local.yaml"
    config.write_text(json.dumps(example))
    tools = tmp_path / "tools-hs.yaml"
    tools.write_text('hashserver:\n  command_template: "hashserver {x}"\n')
    env = {"RHL_TOOLS_YAML": str(tools)}
    first = rhl.run("remote-http-launcher", str(config), "--json", env=env, timeout=90)
    assert first.returncode == 0, first.stderr
    payload = json.loads(first.stdout)
    assert payload["hostname"] == "127.0.0.1" and 6100 <= payload["port"] <= 6199
    phases = [line.split(None, 1)[1] for line in first.stderr.splitlines()]
    assert phases == [
        "local_check: missing",
        "connect: LocalExecutor",
        "remote_check",
        "launch",
        "wait_for_start",
        "handshake",
        "local_validate: ok",
        "done: launched",
    ]
    again = rhl.run("remote-http-launcher", str(config), env=env)
    assert again.returncode == 0
    assert [line.split(None, 1)[1] for line in again.stderr.splitlines()] == [
        "local_check: reused",
        "done: reused-local",
    ]
