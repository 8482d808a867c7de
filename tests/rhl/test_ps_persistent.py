"""rhl-ps-persistent: absent / empty / populated, markers, files, levels, sizes."""

from __future__ import annotations

import pathlib

from conftest import RhlEnv


def _rows(rhl: RhlEnv, *argv: str) -> list[tuple[str, str, object]]:
    result = rhl.run("rhl-ps-persistent", "--json", *argv)
    assert result.returncode == 0, result.stderr
    return [(r["path"], r["state"], r["size"]) for r in result.json_lines()]


def test_absent_empty_populated(rhl: RhlEnv) -> None:
    root = rhl.tmp / "buf"
    assert _rows(rhl, str(root)) == [(str(root), "absent", None)]
    root.mkdir()
    assert _rows(rhl, str(root)) == [(str(root), "empty", None)]
    (root / "x").write_text("abc")
    (row,) = rhl.run("rhl-ps-persistent", "--json", str(root)).json_lines()
    assert row["state"] == "populated" and row["size"] is None
    assert len(row["modified"]) == 25 and row["modified"][10] == "T"  # ISO 8601 with UTC offset


def test_hashserver_walk_with_marker(rhl: RhlEnv) -> None:
    root = rhl.tmp / "buffers"
    proj = root / "proj"
    stage = proj / "STAGE-a"
    other = root / "other"
    for d in (stage, other):
        d.mkdir(parents=True)
    (proj / ".HASHSERVER_PREFIX").write_text("")
    (stage / ".HASHSERVER_PREFIX").write_text("")
    (stage / "ab").mkdir()
    (stage / "ab" / "abcd").write_text("buffer")
    # The project holds only its marker and a stage directory: cold (the stage is its own row).
    assert _rows(rhl, "--level", "2", "--marker", ".HASHSERVER_PREFIX", str(root)) == [
        (str(proj), "empty", None),
        (str(stage), "populated", None),
    ]
    (stage / "ab" / "abcd").unlink()
    assert _rows(rhl, "--level", "2", "--marker", ".HASHSERVER_PREFIX", str(stage)) == [
        (str(stage), "empty", None)
    ]


def test_database_walk_with_file_and_size(rhl: RhlEnv) -> None:
    root = rhl.tmp / "db"
    (root / "proj").mkdir(parents=True)
    (root / "proj" / "seamless.db").write_bytes(b"x" * 1234)
    assert _rows(rhl, "--level", "2", "--file", "seamless.db", "--marker", "seamless.db", str(root)) == [
        (str(root / "proj"), "populated", 1234)
    ]


def test_size_flag_sums_the_tree(rhl: RhlEnv) -> None:
    root = rhl.tmp / "sized"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f").write_bytes(b"x" * 1000)
    (root / "g").write_bytes(b"y" * 24)
    (root / "link").symlink_to("/etc/passwd")
    ((_path, state, size),) = _rows(rhl, "--size", str(root))
    assert state == "populated"
    assert size == 1024 + len("/etc/passwd")  # the link itself, not its target


def test_table_output_and_errors(rhl: RhlEnv) -> None:
    root = rhl.tmp / "t"
    result = rhl.run("rhl-ps-persistent", str(root))
    assert result.stdout.splitlines() == [
        "PATH".ljust(len(str(root))) + " STATE  SIZE MODIFIED",
        f"{root} absent -    -       ",
    ]
    afile = rhl.tmp / "file"
    afile.write_text("x")
    for argv, message in [
        ((str(afile),), f"rhl-ps-persistent: not a directory: {afile}\n"),
        (("rel",), "rhl-ps-persistent: path must be absolute: 'rel'\n"),
        (("/etc",), "rhl-ps-persistent: refusing to operate on system directory: '/etc'\n"),
        ((str(root), "--level", "-1"), None),
        ((str(root), "--marker", "a/b"), None),
        ((), "rhl-ps-persistent: Missing argument 'PATH...'.\n"),
    ]:
        result = rhl.run("rhl-ps-persistent", *argv)
        assert result.returncode == 1, argv
        assert "Traceback" not in result.stderr
        if message:
            assert result.stderr == message
        else:
            assert result.stderr.count("\n") == 1


def test_symlinked_subdirectory_is_reported_not_walked(rhl: RhlEnv) -> None:
    root = rhl.tmp / "r"
    target = rhl.tmp / "elsewhere"
    target.mkdir()
    (target / "f").write_text("x")
    root.mkdir()
    (root / "linked").symlink_to(target)
    rows = _rows(rhl, "--level", "1", str(root))
    assert rows == [(str(root), "populated", None), (str(pathlib.Path(root / "linked")), "symlink", None)]
