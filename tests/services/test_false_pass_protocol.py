"""The false-pass protocol, as documented, followed literally (issue 14.13).

The commands of the protocol are read from the guide and from the debugging page and run in
their order, on a local cluster that also serves *another* project: every step must work as
written (exit 0), the project ends with a cold cache, and the other project's hashserver
keeps running with its state and data untouched.
"""

from __future__ import annotations

import pathlib
import re
import shlex
from collections.abc import Iterator

import pytest
from project_support import Project, put_buffer

from conftest import _kill_leftovers, pid_exists

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "services"
OTHER = "hashserver-here-rw-otherproj"


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    project = Project(tmp_path)
    yield project
    _kill_leftovers(project.state / "server")


def protocol(page: str, start: str, end: str, project: str) -> list[list[str]]:
    """The ``$ seamless-service-...`` lines of the page between two markers, as argv lists:
    the documented cluster and project replaced by the test's, optional parts dropped."""
    text = (DOCS / page).read_text()
    text = text[text.index(start) : text.index(end, text.index(start))]
    commands = []
    for line in text.splitlines():
        if not line.startswith("$ seamless-service-"):
            continue
        line = re.sub(r"\s+# .*$", "", line[2:])
        line = line.replace("[--stage S]", "")
        words = shlex.split(line)
        words = ["here" if w == "hpc" else project if w in ("myproj", "myproject") else w for w in words]
        commands.append(words)
    return commands


@pytest.mark.parametrize(
    ("page", "start", "end", "name"),
    [
        (
            "guide.md",
            "Protocol for ruling out a false pass",
            "Only a pass on a cold cache is meaningful",
            "myproject",
        ),
        ("debugging.md", "The protocol, in this order", "then (5.) re-run the test", "myproj"),
    ],
    ids=["guide", "debugging"],
)
def test_the_documented_protocol_works_literally_and_spares_other_projects(
    project: Project, page: str, start: str, end: str, name: str
) -> None:
    project.write_commands([{"project": name}], [{"cluster": "here"}])
    # Another project on the same cluster, with cached data of its own.
    other_dir = project.tmp / "otherproj"
    other_dir.mkdir()
    (other_dir / "seamless.yaml").write_text("- project: otherproj\n")
    (other_dir / "seamless.profile.yaml").write_text("- cluster: here\n")
    other = project.run("seamless-service-start", "--service", "hashserver", "--json", cwd=other_dir)
    assert other.returncode == 0, other
    other_port = other.json_lines()[0]["port"]
    put_buffer(other_port, b"the other project's result")
    other_pid = project.server_state(OTHER, remote=False)["pid"]
    other_data = sorted(p.name for p in (project.local_buffers / "otherproj").iterdir())

    hs = project.start("hashserver")
    put_buffer(hs["port"], b"a result cached by an earlier run")
    project.start("database")

    commands = protocol(page, start, end, name)
    verbs = [words[0].removeprefix("seamless-service-") for words in commands]
    # The documented order: stop, read the logs, rm, clear (clear refuses a running service).
    order = [verb for verb in verbs if verb in ("stop", "logs", "rm", "clear")]
    assert order.index("stop") < order.index("logs") < order.index("rm") < order.index("clear"), order
    for words in commands:
        if words[0] in ("seamless-service-stop", "seamless-service-rm"):
            assert "--project" in words, f"{page}: {shlex.join(words)} would act on every project"
        result = project.run(*words, timeout=180)
        assert result.returncode == 0, (page, words, result)

    # This project: a cold cache. The other project: untouched.
    buffers = project.local_buffers / name
    assert sorted(p.name for p in buffers.iterdir()) == [".HASHSERVER_PREFIX"]
    assert pid_exists(other_pid)
    assert project.server_state(OTHER, remote=False)["status"] == "running"
    assert project.client_state(OTHER).get("status") != "stale"  # its connection file is kept, live
    assert sorted(p.name for p in (project.local_buffers / "otherproj").iterdir()) == other_data
    project.ok("seamless-service-stop", "--cluster", "here")
