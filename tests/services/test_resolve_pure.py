"""``seamless-service-resolve`` reads the project's files like every other command, and
writes nothing (issue 14 point 7): the seeds promise "no side effects", and an agent may run
it with a read-only home."""

from __future__ import annotations

import os
import pathlib

from project_support import Project


def snapshot(*roots: pathlib.Path) -> dict[str, tuple[int, int]]:
    """Every path below ``roots`` with its size and mtime (a new or changed file shows)."""
    found: dict[str, tuple[int, int]] = {}
    for root in roots:
        for directory, dirs, files in os.walk(root):
            for name in [*dirs, *files]:
                path = os.path.join(directory, name)
                st = os.lstat(path)
                found[path] = (st.st_size, st.st_mtime_ns)
    return found


def test_resolve_reads_the_project_directory_and_writes_nothing(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)  # seamless.yaml: project myproj; profile: cluster here
    cache_home = tmp_path / "xdg-cache"
    before = snapshot(project.home, project.dir, project.state)
    wanted = {
        "cluster": "here",
        "key": "hashserver-here-rw-myproj",
        "project": "myproj",
        "ssh_hostname": None,
        "workdir": str(project.local_buffers / "myproj"),
    }
    for env in (project.env, {**project.env, "XDG_CACHE_HOME": str(cache_home)}):
        for _ in range(2):  # the second call would be a cache hit if anything were cached
            result = project.run("seamless-service-resolve", "--service", "hashserver", env=env)
            assert (result.returncode, result.stderr) == (0, ""), result
            [payload] = result.json_lines()
            assert {k: payload[k] for k in wanted} == wanted
    # The same answer from a subdirectory (nearest ancestor with a command file) and with
    # --workdir from elsewhere; a stage block of the profile applies to --stage.
    project.write_commands(
        [{"project": "myproj"}],
        [{"cluster": "here"}, {"stage other": [{"project": "elsewhere"}]}],
    )
    before = snapshot(project.home, project.dir, project.state)
    sub = project.dir / "deep" / "er"
    sub.mkdir(parents=True)
    before.update(snapshot(project.dir))
    here = project.run("seamless-service-resolve", "--service", "database", cwd=sub)
    assert here.returncode == 0, here
    assert here.json_lines()[0]["key"] == "database-here-rw-myproj"
    there = project.run(
        "seamless-service-resolve", "--service", "database", "--workdir", str(project.dir), cwd=tmp_path
    )
    assert there.stdout == here.stdout
    staged = project.run("seamless-service-resolve", "--service", "hashserver", "--stage", "other")
    assert staged.json_lines()[0]["key"] == "hashserver-here-rw-elsewhere--STAGE-other"
    # Flags still win over the files.
    flagged = project.run("seamless-service-resolve", "--service", "hashserver", "--project", "p2")
    assert flagged.json_lines()[0]["key"] == "hashserver-here-rw-p2"
    after = snapshot(project.home, project.dir, project.state)
    assert after == before
    assert not cache_home.exists()
    assert not (project.home / ".cache").exists()


def test_resolve_outside_a_project_still_says_no_cluster(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    result = project.run("seamless-service-resolve", "--service", "hashserver", cwd=outside)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "seamless-service-resolve: no cluster selected "
        "(use --cluster, or a 'cluster' command in seamless.profile.yaml)\n",
    )
    flagged = project.run(
        "seamless-service-resolve",
        "--service",
        "hashserver",
        "--cluster",
        "here",
        "--project",
        "p",
        cwd=outside,
    )
    assert flagged.returncode == 0 and flagged.json_lines()[0]["key"] == "hashserver-here-rw-p"
    assert not (project.home / ".cache").exists()
