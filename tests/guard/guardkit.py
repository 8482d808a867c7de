"""Shared pieces of the guard tests: a data tree with roots, markers and escapes, and a way to
run the installed ``rhl-guard`` the way sshd does (options as argv, the request in
``SSH_ORIGINAL_COMMAND``).

Imported by the test modules (no conftest here: tests/conftest.py is imported by name).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest

from conftest import find_command
from remote_http_launcher.guard._decide import Outcome, decide
from remote_http_launcher.policy.base import PathPolicy
from remote_http_launcher.policy.names import build

EXIT_REJECTED = 77
EXIT_CONFIG = 78


@dataclass
class Tree:
    """A temporary world: $HOME, data roots, a shared read-only root, a workdir root, and
    places outside every root (some reachable through symlinks from inside)."""

    tmp: pathlib.Path
    home: pathlib.Path = field(init=False)
    data: pathlib.Path = field(init=False)
    shared: pathlib.Path = field(init=False)
    work: pathlib.Path = field(init=False)
    outside: pathlib.Path = field(init=False)
    roots_file: pathlib.Path = field(init=False)

    def __post_init__(self) -> None:
        t = self.tmp
        self.home, self.data, self.shared = t / "home", t / "data", t / "shared"
        self.work, self.outside = t / "work", t / "outside"
        for d in (self.home, self.shared / "x", self.work, self.outside):
            d.mkdir(parents=True, exist_ok=True)
        (self.outside / "precious").write_text("keep me\n")
        marked = t / "outside-marked"
        marked.mkdir()
        (marked / ".HASHSERVER_PREFIX").write_text("")
        (marked / "precious").write_text("keep me too\n")
        proj = self.data / "proj"
        a = proj / "STAGE-a"
        (a / "sub").mkdir(parents=True)
        (a / ".HASHSERVER_PREFIX").write_text("")
        (a / "buf1").write_text("1")
        (a / "sub" / "buf2").write_text("2")
        b = proj / "STAGE-b"
        b.mkdir()
        (b / "seamless.db").write_text("db")
        (proj / "plain").mkdir()
        (proj / "plain" / "file").write_text("x")
        (proj / "escape").symlink_to(self.outside)
        (proj / "escape-marked").symlink_to(marked)
        hidden = proj / ".hidden"
        hidden.mkdir()
        (hidden / ".HASHSERVER_PREFIX").write_text("")
        fake = proj / "fake"
        fake.mkdir()
        (fake / ".HASHSERVER_PREFIX").symlink_to(marked / ".HASHSERVER_PREFIX")
        (self.home / "data").mkdir()
        self.roots_file = t / "roots.txt"
        self.roots_file.write_text(f"# test roots\n{self.data}\nread: {self.shared}\nworkdir: {self.work}\n")

    @property
    def outside_marked(self) -> pathlib.Path:
        return self.tmp / "outside-marked"

    def spec(self, name: str) -> str:
        return f"data-roots:{self.roots_file}" if name == "data-roots" else name

    def policy(self, name: str = "data-roots") -> PathPolicy:
        return build(self.spec(name))

    def decide(self, command: str, policy: str | None = "data-roots") -> Outcome:
        built = self.policy(policy) if policy else None
        return decide(command, lambda: built)

    def snapshot(self) -> dict[str, Any]:
        """Every path under tmp (not following links) with its type and content: to prove that
        a decision or a refused command touched nothing."""
        result: dict[str, Any] = {}
        for dirpath, dirnames, filenames in os.walk(self.tmp, followlinks=False):
            for name in dirnames + filenames:
                path = pathlib.Path(dirpath) / name
                if path.is_symlink():
                    result[str(path)] = ("link", os.readlink(path))
                elif path.is_file():
                    result[str(path)] = ("file", path.read_bytes())
                else:
                    result[str(path)] = ("dir", None)
        return result


@pytest.fixture
def tree(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Tree:
    world = Tree(tmp_path)
    monkeypatch.setenv("HOME", str(world.home))
    return world


@dataclass
class GuardRun:
    returncode: int
    stdout: str
    stderr: str
    audit: list[dict[str, Any]]


def guard_env(tree: Tree, command: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SSH_ORIGINAL_COMMAND", "RHL_DEBUG")}
    env["HOME"] = str(tree.home)
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if command is not None:
        env["SSH_ORIGINAL_COMMAND"] = command
    env.update(extra or {})
    return env


def audit_file(tree: Tree) -> pathlib.Path:
    return tree.home / ".remote-http-launcher" / "guard" / "rejected.jsonl"


def run_guard(
    tree: Tree,
    command: str | None,
    *options: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> GuardRun:
    """Run the installed rhl-guard as sshd would; return its result and the new audit lines."""
    log = audit_file(tree)
    before = log.read_text().splitlines() if log.exists() else []
    proc = subprocess.run(
        [find_command("rhl-guard"), *options],
        capture_output=True,
        text=True,
        env=guard_env(tree, command, env),
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        cwd=tree.home,
    )
    after = log.read_text().splitlines() if log.exists() else []
    return GuardRun(proc.returncode, proc.stdout, proc.stderr, [json.loads(x) for x in after[len(before) :]])


def table_spec(name: str) -> dict[str, Any]:
    """The command table's entry of helper ``name`` as plain data (the shape the property tests
    build commands from): options by spelling -> (dest, kind, check), required dests,
    arguments as (dest, nargs, required, check)."""
    from remote_http_launcher.commands import COMMANDS

    command = COMMANDS[name]
    return {
        "name": name,
        "options": {
            flag: (option.dest, option.kind, None if option.kind == "flag" else option.check)
            for option in command.options
            for flag in option.flags
        },
        "required": [option.dest for option in command.options if option.required],
        "arguments": [(a.dest, a.nargs, a.required, a.check) for a in command.arguments],
        "interspersed": command.interspersed,
        "usage_exit_code": command.usage_exit_code,
    }


def parse_spec(spec: dict[str, Any], argv: list[str]) -> dict[str, Any]:
    """What the one parser (``commands.parse``) makes of ``argv`` for ``spec``'s helper."""
    from remote_http_launcher.commands import parse

    return parse(spec["name"], argv)
