"""rhl-clear --keep / --only / --nested (D2's contract, issue 14.9/14.10): clearing one
instance's own data keeps the other stages' and subprojects' directories."""

from __future__ import annotations

import os
import pathlib

from conftest import RhlEnv


def _project(root: pathlib.Path) -> pathlib.Path:
    proj = root / "buffers" / "proj"
    for d in ("ab", "cd", "STAGE-x/ef", "sub/01"):
        (proj / d).mkdir(parents=True)
    for f in ("ab/ab01", "cd/cd02", "STAGE-x/ef/ef03", "sub/01/0104", "stray"):
        (proj / f).write_text(f)
    for d in ("", "STAGE-x", "sub"):
        (proj / d / ".HASHSERVER_PREFIX").write_text("1\n")
    return proj


def test_only_and_keep_select_the_direct_children(rhl: RhlEnv) -> None:
    proj = _project(rhl.tmp)
    result = rhl.run("rhl-clear", "--only", "[0-9a-f][0-9a-f]", "--only", "stray", "--keep", "cd", str(proj))
    assert (result.returncode, result.stdout, result.stderr) == (0, f"removed 2 item(s) from {proj}\n", "")
    assert sorted(os.listdir(proj)) == [".HASHSERVER_PREFIX", "STAGE-x", "cd", "sub"]
    assert (proj / "STAGE-x" / "ef" / "ef03").exists() and (proj / "sub" / "01" / "0104").exists()
    result = rhl.run("rhl-clear", "--keep", "STAGE-*", "--keep", "sub", str(proj))
    assert (result.returncode, result.stdout) == (0, f"removed 1 item(s) from {proj}\n")
    assert sorted(os.listdir(proj)) == [".HASHSERVER_PREFIX", "STAGE-x", "sub"]


def test_a_glob_with_a_slash_is_a_usage_error(rhl: RhlEnv) -> None:
    proj = _project(rhl.tmp)
    for option in ("--keep", "--only"):
        result = rhl.run("rhl-clear", option, "STAGE-x/ef", str(proj))
        assert result.returncode == 1
        assert result.stderr == f"rhl-clear: Invalid value for '{option}': requires a simple filename\n"
    assert (proj / "ab" / "ab01").exists()


def test_services_block_only_what_the_clear_touches(rhl: RhlEnv) -> None:
    data = rhl.launch("stage-x")  # runs in tmp/work/stage-x: make the project around it
    stage = pathlib.Path(data["workdir"])
    proj = stage.parent
    (proj / "ab").mkdir()
    (proj / "ab" / "ab01").write_text("x")
    (stage / "buf").write_text("y")
    # The project's data around a running stage: blocked without --keep, fine with it.
    refused = rhl.run("rhl-clear", str(proj))
    assert refused.returncode == 1 and "service 'stage-x'" in refused.stderr
    done = rhl.run("rhl-clear", "--keep", "stage-*", str(proj))
    assert (done.returncode, done.stdout, done.stderr) == (0, f"removed 1 item(s) from {proj}\n", "")
    assert (stage / "buf").exists()
    # A stage's directory inside a running project service: --nested says it holds nothing of it.
    project_service = rhl.launch("proj")
    (pathlib.Path(project_service["workdir"]) / "STAGE-y").mkdir()
    inner = pathlib.Path(project_service["workdir"]) / "STAGE-y"
    (inner / "f").write_text("z")
    refused = rhl.run("rhl-clear", str(inner))
    assert refused.returncode == 1 and "service 'proj'" in refused.stderr
    done = rhl.run("rhl-clear", "--nested", str(inner))
    assert (done.returncode, done.stdout, done.stderr) == (0, f"removed 1 item(s) from {inner}\n", "")
    assert rhl.run("rhl-stop", "stage-x", "proj").returncode == 0


def test_the_guard_accepts_repeated_selection_options(rhl: RhlEnv) -> None:
    proj = _project(rhl.tmp)
    roots = rhl.tmp / "roots.txt"
    roots.write_text(f"{rhl.tmp / 'buffers'}\n")
    command = f"rhl-clear --only '[0-9a-f][0-9a-f]' --only stray --keep 'STAGE-*' --nested {proj}"
    result = rhl.run("rhl-guard", "--data-roots", str(roots), env={"SSH_ORIGINAL_COMMAND": command})
    assert (result.returncode, result.stdout, result.stderr) == (0, f"removed 3 item(s) from {proj}\n", "")
    assert sorted(os.listdir(proj)) == [".HASHSERVER_PREFIX", "STAGE-x", "sub"]
