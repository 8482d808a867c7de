"""rhl-clear without a guard (issue 13.5): dot-prefixed segments need --force; $HOME, its
ancestors, system roots and shared trees are never cleared; top-level dot entries stay."""

from __future__ import annotations

import os
import pathlib

import pytest

from conftest import RhlEnv


def _populated(root: pathlib.Path) -> None:
    root.mkdir(parents=True)
    (root / "buffer").write_text("x")


@pytest.mark.parametrize("relative", [".ssh", ".cache/seamless/buffers", "data/./proj", "data/proj/."])
def test_a_dot_prefixed_segment_is_refused_without_force(rhl: RhlEnv, relative: str) -> None:
    target = rhl.tmp / "home"
    raw = f"{target}/{relative}"
    real = pathlib.Path(os.path.normpath(raw))
    _populated(real)
    result = rhl.run("rhl-clear", raw)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"rhl-clear: path has a dot-prefixed segment: {raw!r} (pass --force to clear it anyway)\n",
    )
    assert (real / "buffer").exists()
    forced = rhl.run("rhl-clear", "--force", raw)
    assert (forced.returncode, forced.stdout, forced.stderr) == (0, f"removed 1 item(s) from {real}\n", "")
    assert not (real / "buffer").exists()


def test_a_symlink_into_a_dot_directory_is_refused_too(rhl: RhlEnv) -> None:
    """The resolved path is checked as well: a plain-looking alias of ~/.ssh is still refused."""
    secret = rhl.tmp / "home" / ".ssh"
    _populated(secret)
    alias = rhl.tmp / "alias"
    alias.symlink_to(secret)
    result = rhl.run("rhl-clear", str(alias))
    assert result.returncode == 1
    assert result.stderr == (
        f"rhl-clear: path has a dot-prefixed segment: {str(alias)!r} (pass --force to clear it anyway)\n"
    )
    assert (secret / "buffer").exists()


@pytest.mark.parametrize(
    "path, message",
    [
        ("/", "refusing to operate on system directory: '/'"),
        ("/usr", "refusing to operate on system directory: '/usr'"),
        ("/etc", "refusing to operate on system directory: '/etc'"),
        ("/var", "refusing to operate on system directory: '/var'"),
        ("/home", "refusing to clear shared directory: '/home'"),
        ("/root", "refusing to clear shared directory: '/root'"),
        ("/tmp", "refusing to clear shared directory: '/tmp'"),
        ("/tmp/", "refusing to clear shared directory: '/tmp/'"),
        ("/var/tmp", "refusing to clear shared directory: '/var/tmp'"),
        ("~", "refusing to clear $HOME or an ancestor of it: '~'"),
    ],
)
def test_force_never_opens_home_system_roots_or_shared_trees(rhl: RhlEnv, path: str, message: str) -> None:
    """--force also means "although a service runs there" (seamless-service-clear --force
    passes it), so it must never widen the clear to a home directory or a system tree."""
    result = rhl.run("rhl-clear", "--force", path, env={"HOME": "/nonexistent-home/me"})
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"rhl-clear: {message}\n")


def test_home_ancestors_are_refused_even_with_force(rhl: RhlEnv) -> None:
    home = rhl.tmp / "users" / "me"
    _populated(home)
    for target in (home, home.parent, rhl.tmp):
        result = rhl.run("rhl-clear", "--force", str(target), env={"HOME": str(home)})
        assert (result.returncode, result.stderr) == (
            1,
            f"rhl-clear: refusing to clear $HOME or an ancestor of it: {str(target)!r}\n",
        )
    assert (home / "buffer").exists()


def test_top_level_dot_entries_are_kept_directories_included(rhl: RhlEnv) -> None:
    root = rhl.tmp / "data" / "proj"
    (root / "ab").mkdir(parents=True)
    (root / "ab" / "buffer").write_text("x")
    (root / "ab" / ".nested-dot").mkdir()  # inside a removed directory: removed with it
    (root / ".HASHSERVER_PREFIX").write_text("1\n")
    (root / ".snapshot").mkdir()
    (root / ".snapshot" / "f").write_text("kept")
    (root / ".dotlink").symlink_to(rhl.tmp)
    (root / "seamless.db").write_text("db")
    result = rhl.run("rhl-clear", str(root))
    assert (result.returncode, result.stdout, result.stderr) == (0, f"removed 2 item(s) from {root}\n", "")
    assert sorted(os.listdir(root)) == [".HASHSERVER_PREFIX", ".dotlink", ".snapshot"]
    assert (root / ".snapshot" / "f").read_text() == "kept"
