"""The ``RHL_TOOLS_YAML`` whitelist is parsed (PyYAML) only when the tools file's bytes change.

``rhl-launch-service`` keeps the last parse in ``<server dir>/.config-cache/tools-*.json``:
the tools file's whole text and its whitelist. The whitelist is a security check, so the
cache is used only when its text equals, character for character, what was just read from
the tools file, and only for names that file itself writes after a ``command_template:``
key; anything else (another text, a corrupt entry, another format, an entry others could
write) is a miss: the file is parsed and the entry rewritten. Whether PyYAML ran is read from
the interpreter's own ``-X importtime`` report (``PYTHONPROFILEIMPORTTIME=1``, on stderr).
Every test drives the installed ``rhl-launch-service``.
"""

from __future__ import annotations

import json
import os
import pathlib

from conftest import RhlEnv

IMPORT_TIME = {"PYTHONPROFILEIMPORTTIME": "1"}
FORMAT = "rhl-tools-whitelist/1"


def tools_file(rhl: RhlEnv) -> pathlib.Path:
    return pathlib.Path(rhl.env["RHL_TOOLS_YAML"])


def cache_entries(rhl: RhlEnv) -> list[pathlib.Path]:
    return sorted((rhl.server / ".config-cache").glob("tools-*.json"))


def imported_yaml(stderr: str) -> bool:
    return any(
        line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == "yaml"
        for line in stderr.splitlines()
    )


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("import time:")]


def launch(rhl: RhlEnv, key: str, *service: str) -> tuple[int, str, str]:
    argv = service or ("rhl-example-service", "--status-file", str(rhl.server / f"{key}.json"))
    result = rhl.run(
        "rhl-launch-service",
        "--key",
        key,
        "--workdir",
        str(rhl.tmp / "work" / key),
        "--",
        *argv,
        env=IMPORT_TIME,
    )
    return result.returncode, result.stdout, result.stderr


def stop(rhl: RhlEnv, key: str) -> None:
    assert rhl.run("rhl-stop", key, timeout=60).returncode == 0


def rewrite_in_place(path: pathlib.Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (same length) keeping the inode, size and mtime."""
    assert len(old) == len(new)
    before = os.stat(path)
    text = path.read_text()
    assert old in text
    with open(path, "r+", encoding="utf-8") as handle:
        handle.write(text.replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


def refused(rhl: RhlEnv, key: str, rc: int, stderr: str, binary: str) -> None:
    assert rc == 1, stderr
    assert errors(stderr) == [f"rhl-launch-service: service binary is not whitelisted: {binary!r}"]
    assert not (rhl.server / f"{key}.json").exists()


def test_a_second_launch_reads_the_whitelist_from_the_cache_without_yaml(rhl: RhlEnv) -> None:
    rc, _, stderr = launch(rhl, "wl-first")
    assert rc == 0, stderr
    assert imported_yaml(stderr), "the first launch must parse the tools file"
    [entry] = cache_entries(rhl)
    assert entry.stat().st_mode & 0o777 == 0o600
    assert (rhl.server / ".config-cache").stat().st_mode & 0o777 == 0o700
    record = json.loads(entry.read_text())
    assert record == {
        "format": FORMAT,
        "path": str(tools_file(rhl)),
        "text": tools_file(rhl).read_text(),
        "names": ["rhl-example-service", "hashserver"],
    }
    stop(rhl, "wl-first")

    rc, _, stderr = launch(rhl, "wl-second")
    assert rc == 0, stderr
    assert not imported_yaml(stderr), "the tools file was parsed although its bytes did not change"
    assert rhl.wait_status("wl-second", "running")["command"].startswith("rhl-example-service ")
    stop(rhl, "wl-second")
    # Not a listing's business: rhl-ps shows services only.
    ps = rhl.run("rhl-ps", "--json")
    assert ps.returncode == 0, ps.stderr
    assert sorted(json.loads(line)["key"] for line in ps.stdout.splitlines()) == ["wl-first", "wl-second"]


def test_a_tools_file_changed_behind_the_same_size_and_mtime_is_honoured_at_once(rhl: RhlEnv) -> None:
    """Same inode, size and mtime (os.utime), other bytes: the next launch parses the file."""
    rc, _, stderr = launch(rhl, "wl-before")
    assert rc == 0, stderr
    stop(rhl, "wl-before")
    assert len(cache_entries(rhl)) == 1

    # The example service is no longer whitelisted (a name of the same length instead).
    rewrite_in_place(tools_file(rhl), '"rhl-example-service ', '"rhl-example-servicX ')
    rc, _, stderr = launch(rhl, "wl-removed")
    refused(rhl, "wl-removed", rc, stderr, "rhl-example-service")
    assert imported_yaml(stderr)
    assert json.loads(cache_entries(rhl)[0].read_text())["names"] == ["rhl-example-servicX", "hashserver"]

    # And back: whitelisted again at once.
    rewrite_in_place(tools_file(rhl), '"rhl-example-servicX ', '"rhl-example-service ')
    rc, _, stderr = launch(rhl, "wl-restored")
    assert rc == 0, stderr
    assert imported_yaml(stderr)
    assert rhl.wait_status("wl-restored", "running")["status"] == "running"
    stop(rhl, "wl-restored")


def test_a_tampered_cache_entry_cannot_widen_the_whitelist(rhl: RhlEnv) -> None:
    """Valid JSON in the current format, naming ``sleep``: refused whether the entry's text is
    the tools file's own (``sleep`` is not named there) or a wider file's (not this text)."""
    rc, _, stderr = launch(rhl, "wl-seed")
    assert rc == 0, stderr
    stop(rhl, "wl-seed")
    [entry] = cache_entries(rhl)
    record = json.loads(entry.read_text())
    text = record["text"]
    wider = text + 'shell:\n  command_template: "sleep {x}"\n'

    for tampered in (
        {**record, "names": [*record["names"], "sleep"]},  # the file's own text, one name more
        {**record, "names": ["sleep"]},
        {**record, "text": wider, "names": [*record["names"], "sleep"]},  # another file's text
        {**record, "names": ["rhl-example-service --x", "sleep"]},
    ):
        entry.write_text(json.dumps(tampered))
        os.chmod(entry, 0o600)
        rc, _, stderr = launch(rhl, "wl-sleep", "sleep", "300")
        refused(rhl, "wl-sleep", rc, stderr, "sleep")
        assert imported_yaml(stderr), "a tampered entry must be parsed afresh"

    # The right entry, but writable by others: not trusted (parsed, rewritten 0600).
    entry.write_text(json.dumps(record))
    os.chmod(entry, 0o666)
    rc, _, stderr = launch(rhl, "wl-after")
    assert rc == 0, stderr
    assert imported_yaml(stderr)
    assert json.loads(entry.read_text()) == record
    assert entry.stat().st_mode & 0o777 == 0o600
    stop(rhl, "wl-after")


def test_a_corrupt_or_foreign_cache_entry_is_ignored_and_rewritten(rhl: RhlEnv) -> None:
    rc, _, stderr = launch(rhl, "wl-a")
    assert rc == 0, stderr
    stop(rhl, "wl-a")
    [entry] = cache_entries(rhl)
    record = json.loads(entry.read_text())
    for content in (
        '{"format": "rhl-tools-whitelist/1", "names": ["sle',  # truncated
        "",
        "[1, 2]",
        json.dumps({**record, "format": "rhl-tools-whitelist/0"}),
        json.dumps({**record, "path": "/elsewhere/tools.yaml"}),
        json.dumps({**record, "names": "rhl-example-service"}),
        json.dumps({**record, "names": []}),
        '{"format": NaN}',
    ):
        entry.write_text(content)
        rc, _, stderr = launch(rhl, "wl-b")
        assert rc == 0, (content, stderr)
        assert imported_yaml(stderr), content
        assert json.loads(entry.read_text()) == record, content
        stop(rhl, "wl-b")
        assert rhl.run("rhl-rm", "wl-b").returncode == 0

    # A FIFO in the entry's place is not waited for.
    entry.unlink()
    os.mkfifo(entry)
    rc, _, stderr = launch(rhl, "wl-c")
    assert rc == 0, stderr
    assert imported_yaml(stderr)
    assert json.loads(entry.read_text()) == record  # the FIFO's name now holds the entry
    stop(rhl, "wl-c")


def test_a_tools_file_the_scan_cannot_follow_is_parsed_every_time(rhl: RhlEnv) -> None:
    """A block scalar: PyYAML's answer is right, the cheap scan of template_heads does not
    see the name, so no entry is written that could never be trusted."""
    tools_file(rhl).write_text("example:\n  command_template: >-\n    rhl-example-service {x}\n")
    for key in ("wl-block-1", "wl-block-2"):
        rc, _, stderr = launch(rhl, key)
        assert rc == 0, stderr
        assert imported_yaml(stderr)
        stop(rhl, key)
    assert cache_entries(rhl) == []


def test_a_malformed_tools_file_is_still_an_error_after_a_cached_parse(rhl: RhlEnv) -> None:
    rc, _, stderr = launch(rhl, "wl-ok")
    assert rc == 0, stderr
    stop(rhl, "wl-ok")
    tools_file(rhl).write_text("example: [unclosed\n")
    rc, _, stderr = launch(rhl, "wl-bad")
    assert rc == 1, stderr
    assert errors(stderr) == [
        f"rhl-launch-service: could not load tools.yaml: {tools_file(rhl)}: line 2, column 1: "
        "expected ',' or ']', but got '<stream end>'"
    ]
    assert not (rhl.server / "wl-bad.json").exists()


def test_a_tool_written_twice_is_an_error_not_the_last_one(rhl: RhlEnv) -> None:
    """PyYAML alone keeps the last of two equal keys: an administrator who appended a second
    ``example:`` entry would get it silently instead of the first. The launch is refused with
    both places named, and nothing is started or cached."""
    tools_file(rhl).write_text(
        'example:\n  command_template: "sleep {x}"\n'
        'example:\n  command_template: "rhl-example-service {x}"\n'
    )
    rc, _, stderr = launch(rhl, "wl-twice")
    assert rc == 1, stderr
    assert errors(stderr) == [
        f"rhl-launch-service: could not load tools.yaml: {tools_file(rhl)}: line 3, column 1: "
        "duplicate key 'example' (first written at line 1)"
    ]
    assert not (rhl.server / "wl-twice.json").exists()
    assert cache_entries(rhl) == []
