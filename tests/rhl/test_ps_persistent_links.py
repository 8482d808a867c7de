"""rhl-ps-persistent: symbolic links are reported, never walked (issue 13.11); markers and
stage directories are not content (issue 14.1)."""

from __future__ import annotations

import pathlib
import time
from typing import Any

import pytest

from conftest import RhlEnv


def _json(rhl: RhlEnv, *argv: str) -> list[dict[str, Any]]:
    result = rhl.run("rhl-ps-persistent", "--json", *argv, timeout=60)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.json_lines()


def test_links_to_the_parent_are_reported_not_walked(rhl: RhlEnv) -> None:
    """0.4.5 and we before: two links to the parent gave 2**17 - 1 rows at level 16."""
    root = rhl.tmp / "buffers"
    (root / "proj").mkdir(parents=True)
    (root / "proj" / "buffer").write_text("x")
    (root / "a-up").symlink_to("..")
    (root / "b-self").symlink_to(root)
    started = time.monotonic()
    rows = _json(rhl, "--level", "16", str(root))
    assert time.monotonic() - started < 30
    assert rows == [
        {"path": str(root), "state": "populated", "size": None, "modified": rows[0]["modified"]},
        {"path": str(root / "a-up"), "state": "symlink", "size": None, "modified": None, "target": ".."},
        {
            "path": str(root / "b-self"),
            "state": "symlink",
            "size": None,
            "modified": None,
            "target": str(root),
        },
        {"path": str(root / "proj"), "state": "populated", "size": None, "modified": rows[3]["modified"]},
    ]
    table = rhl.run("rhl-ps-persistent", "--level", "16", str(root))
    assert [line.split()[:2] for line in table.stdout.splitlines()[1:]] == [
        [str(root), "populated"],
        [str(root / "a-up"), "symlink"],
        [str(root / "b-self"), "symlink"],
        [str(root / "proj"), "populated"],
    ]


def test_with_a_marker_only_links_to_marked_directories_are_reported(rhl: RhlEnv) -> None:
    root = rhl.tmp / "buffers"
    marked = rhl.tmp / "elsewhere" / "marked"
    plain = rhl.tmp / "elsewhere" / "plain"
    for d in (root, marked, plain):
        d.mkdir(parents=True)
    (marked / ".HASHSERVER_PREFIX").write_text("1\n")
    (marked / "ab").mkdir()
    (marked / "ab" / "buf").write_text("data")
    (root / "to-marked").symlink_to(marked)
    (root / "to-plain").symlink_to(plain)
    (root / "to-file").symlink_to(marked / ".HASHSERVER_PREFIX")
    rows = _json(rhl, "--level", "2", "--marker", ".HASHSERVER_PREFIX", "--size", str(root))
    assert rows == [
        {
            "path": str(root / "to-marked"),
            "state": "symlink",
            "size": None,
            "modified": None,
            "target": str(marked),
        }
    ]


def test_size_never_follows_links(rhl: RhlEnv) -> None:
    root = rhl.tmp / "data"
    big = rhl.tmp / "big"
    big.mkdir()
    (big / "blob").write_bytes(b"x" * 100_000)
    root.mkdir()
    (root / "f").write_bytes(b"y" * 10)
    (root / "dirlink").symlink_to(big)
    (root / "loop").symlink_to(root)
    (row,) = _json(rhl, "--size", str(root))
    assert (row["state"], row["size"]) == ("populated", 10 + len(str(big)) + len(str(root)))


def _cold_project(root: pathlib.Path) -> pathlib.Path:
    """A hashserver project directory as a fresh start leaves it: markers, empty stages."""
    proj = root / "proj"
    for stage in ("STAGE-a", "STAGE-b"):
        (proj / stage).mkdir(parents=True)
        (proj / stage / ".HASHSERVER_PREFIX").write_bytes(b"1\n")
    (proj / ".HASHSERVER_PREFIX").write_bytes(b"1\n")
    return proj


@pytest.mark.parametrize("marker", [(), ("--marker", ".HASHSERVER_PREFIX")])
def test_markers_and_stage_directories_are_not_content(rhl: RhlEnv, marker: tuple[str, ...]) -> None:
    proj = _cold_project(rhl.tmp / "buffers")
    rows = _json(rhl, "--size", *marker, str(proj))
    assert [(r["path"], r["state"], r["size"], r["modified"]) for r in rows] == [
        (str(proj), "empty", 0, None)
    ]
    # The client's level-2 walk from the root: every directory is its own row, all cold.
    rows = _json(rhl, "--level", "2", "--size", *marker, str(rhl.tmp / "buffers"))
    states = [(r["path"], r["state"], r["size"]) for r in rows]
    expected = [
        (str(proj), "empty", 0),
        (str(proj / "STAGE-a"), "empty", 0),
        (str(proj / "STAGE-b"), "empty", 0),
    ]
    if not marker:
        # The root holds only an empty project tree: no content either.
        expected.insert(0, (str(rhl.tmp / "buffers"), "empty", 0))
    assert states == expected


def test_a_stage_buffer_is_the_stage_rows_content_not_the_projects(rhl: RhlEnv) -> None:
    proj = _cold_project(rhl.tmp / "buffers")
    (proj / "STAGE-a" / "ab").mkdir()
    (proj / "STAGE-a" / "ab" / "abcd").write_bytes(b"z" * 300)
    (proj / "sub").mkdir()  # a subproject directory, its own data directory
    (proj / "sub" / ".HASHSERVER_PREFIX").write_bytes(b"1\n")
    (proj / "sub" / "cd").mkdir()
    (proj / "sub" / "cd" / "cdef").write_bytes(b"w" * 40)
    rows = _json(rhl, "--level", "1", "--size", "--marker", ".HASHSERVER_PREFIX", str(proj))
    assert [(r["path"], r["state"], r["size"]) for r in rows] == [
        (str(proj), "empty", 0),
        (str(proj / "STAGE-a"), "populated", 300),
        (str(proj / "STAGE-b"), "empty", 0),
        (str(proj / "sub"), "populated", 40),
    ]
    (proj / "ef").mkdir()
    (proj / "ef" / "ef01").write_bytes(b"v" * 7)
    (row,) = _json(rhl, "--size", str(proj))
    assert (row["state"], row["size"]) == ("populated", 7)


def test_empty_prefix_directories_are_not_content(rhl: RhlEnv) -> None:
    """Directories alone hold no data: a tree of empty buffer-prefix directories is cold."""
    proj = _cold_project(rhl.tmp / "buffers")
    for i in range(256):
        (proj / f"{i:02x}").mkdir()
    (row,) = _json(rhl, "--size", str(proj))
    assert (row["state"], row["size"]) == ("empty", 0)


def test_under_the_guard_a_link_leading_outside_the_roots_is_not_reported(rhl: RhlEnv) -> None:
    """The helper re-checks the guard's policy (RHL_GUARD_POLICY, as rhl-guard sets it): a
    link's row, with its target text, is shown only when the link resolves inside the roots."""
    root = rhl.tmp / "roots" / "buffers"
    inside = root / "proj"
    outside = rhl.tmp / "secret"
    for d in (inside, outside):
        d.mkdir(parents=True)
    (inside / "buffer").write_text("x")
    (root / "in-link").symlink_to(inside)
    (root / "out-link").symlink_to(outside)
    roots_file = rhl.tmp / "roots.txt"
    roots_file.write_text(f"{root}\n")
    result = rhl.run(
        "rhl-ps-persistent",
        "--json",
        "--level",
        "3",
        str(root),
        env={"RHL_GUARD_POLICY": f"data-roots:{roots_file}"},
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert [(r["path"], r["state"], r.get("target")) for r in result.json_lines()] == [
        (str(root), "populated", None),
        (str(root / "in-link"), "symlink", str(inside)),
        (str(inside), "populated", None),
    ]
