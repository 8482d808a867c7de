"""rhl-clear: any depth, never through symlinks, keeps top-level dot entries, refuses dangerous paths."""

from __future__ import annotations

import os
import pathlib

import pytest

from conftest import RhlEnv


def _buffer_tree(root: pathlib.Path) -> None:
    (root / "STAGE-x" / "ab" / "cd").mkdir(parents=True)
    (root / "STAGE-x" / "ab" / "cd" / "buffer1").write_bytes(b"1" * 100)
    (root / "STAGE-x" / ".hidden-inside").mkdir()
    (root / "STAGE-x" / ".hidden-inside" / "f").write_text("x")
    (root / "ff").mkdir()
    (root / "ff" / "buffer2").write_bytes(b"2")
    (root / "seamless.db").write_bytes(b"db")
    (root / ".HASHSERVER_PREFIX").write_text("")
    (root / ".keepdir").mkdir()


def test_clear_nested_tree_keeps_only_top_level_dot_entries(rhl: RhlEnv) -> None:
    root = rhl.tmp / "data" / "buffers" / "proj"
    _buffer_tree(root)
    result = rhl.run("rhl-clear", str(root))
    assert (result.returncode, result.stdout, result.stderr) == (0, f"removed 3 item(s) from {root}\n", "")
    assert sorted(os.listdir(root)) == [".HASHSERVER_PREFIX", ".keepdir"]
    listing = rhl.run("rhl-ps-persistent", str(root), "--marker", ".HASHSERVER_PREFIX", "--json")
    assert listing.json_lines()[0]["state"] == "empty"


def test_clear_never_follows_symlinks_out(rhl: RhlEnv) -> None:
    outside = rhl.tmp / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep me")
    root = rhl.tmp / "data" / "db"
    (root / "sub").mkdir(parents=True)
    (root / "link-to-dir").symlink_to(outside)
    (root / "sub" / "nested-link").symlink_to(outside)
    (root / "link-to-file").symlink_to(outside / "precious")
    result = rhl.run("rhl-clear", str(root))
    assert result.returncode == 0, result.stderr
    assert os.listdir(root) == []
    assert (outside / "precious").read_text() == "keep me"


def test_clear_through_a_symlinked_root_clears_the_target_and_reports_it(rhl: RhlEnv) -> None:
    real = rhl.tmp / "data" / "real"
    real.mkdir(parents=True)
    (real / "f").write_text("x")
    link = rhl.tmp / "data" / "alias"
    link.symlink_to(real)
    result = rhl.run("rhl-clear", str(link))
    assert result.stdout == f"removed 1 item(s) from {real}\n"


@pytest.mark.parametrize(
    "path, message",
    [
        ("relative/dir", "rhl-clear: path must be absolute: 'relative/dir'\n"),
        ("/tmp/../etc", "rhl-clear: path must not contain '..': '/tmp/../etc'\n"),
        ("/", "rhl-clear: refusing to operate on system directory: '/'\n"),
        ("/etc", "rhl-clear: refusing to operate on system directory: '/etc'\n"),
        ("/usr/", "rhl-clear: refusing to operate on system directory: '/usr/'\n"),
        ("/tmp", "rhl-clear: refusing to clear shared directory: '/tmp'\n"),
        ("/home", "rhl-clear: refusing to clear shared directory: '/home'\n"),
        ("~", "rhl-clear: refusing to clear $HOME or an ancestor of it: '~'\n"),
    ],
)
def test_clear_refuses_dangerous_paths(rhl: RhlEnv, path: str, message: str) -> None:
    result = rhl.run("rhl-clear", path)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", message)


def test_clear_refuses_home_ancestor_via_symlink(rhl: RhlEnv) -> None:
    home = rhl.tmp / "home" / "user"
    home.mkdir(parents=True)
    (home / "file").write_text("x")
    link = rhl.tmp / "sneaky"
    link.symlink_to(home.parent)
    result = rhl.run("rhl-clear", str(link), env={"HOME": str(home)})
    assert result.returncode == 1
    assert "ancestor of it" in result.stderr
    assert (home / "file").exists()


def test_clear_missing_and_not_a_directory(rhl: RhlEnv) -> None:
    missing = rhl.tmp / "data" / "missing"
    assert rhl.run("rhl-clear", str(missing)).stderr == f"rhl-clear: path does not exist: {missing}\n"
    afile = rhl.tmp / "afile"
    afile.write_text("x")
    assert rhl.run("rhl-clear", str(afile)).stderr == f"rhl-clear: not a directory: {afile}\n"


def test_clear_refuses_a_directory_in_use_by_a_running_service(rhl: RhlEnv) -> None:
    data = rhl.launch("hs")
    workdir = pathlib.Path(data["workdir"])
    (workdir / "buffer").write_text("x")
    result = rhl.run("rhl-clear", str(workdir))
    assert result.returncode == 1
    assert result.stderr == (
        f"rhl-clear: refusing to clear {workdir}: service 'hs' (pid {data['pid']}) "
        "is running there; stop it first, or pass --force\n"
    )
    assert (workdir / "buffer").exists()
    assert rhl.run("rhl-stop", "hs").returncode == 0
    assert rhl.run("rhl-clear", str(workdir)).returncode == 0
    assert not (workdir / "buffer").exists()


def test_clear_force_overrides_in_use_check(rhl: RhlEnv) -> None:
    data = rhl.launch("hs2")
    workdir = pathlib.Path(data["workdir"])
    (workdir / "buffer").write_text("x")
    assert rhl.run("rhl-clear", "--force", str(workdir)).stdout == f"removed 1 item(s) from {workdir}\n"


def test_a_service_in_a_shared_tree_does_not_block_clearing_elsewhere_in_it(rhl: RhlEnv) -> None:
    """A jobserver runs in /tmp; that must not block clearing an unrelated directory under /tmp."""
    import subprocess
    import sys
    import time

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        time.sleep(0.05)
        rhl.write_server(
            "jobserver",
            {"status": "running", "pid": sleeper.pid, "workdir": "/tmp", "uid": os.getuid(), "port": 1},
        )
        target = rhl.tmp / "data" / "db"
        target.mkdir(parents=True)
        (target / "seamless.db").write_text("x")
        assert rhl.run("rhl-clear", str(target)).stdout == f"removed 1 item(s) from {target}\n"
    finally:
        sleeper.kill()
        sleeper.wait()
