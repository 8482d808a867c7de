"""One path per command, fast by its cache (issue 16 point 5): the parsed-YAML cache.

There is no second front end any more (``fast.py`` and ``SEAMLESS_SERVICES_NO_FAST_PATH``
are gone): every command loads its configuration through ``api.load``, and the value of each
YAML document is kept in ``~/.cache/seamless-config-services/`` by every command except
``resolve``, which only reads it. These tests run the installed commands and look at what a
user sees: the answers, the files in the cache, and that PyYAML is not even imported when
every document a command needs is cached.
"""

from __future__ import annotations

import os
import pathlib

from project_support import Project

POISON = 'raise ImportError("{name} was imported")\n'
RESOLVE = ("seamless-service-resolve", "--service", "hashserver")


def without_yaml(project: Project, tmp_path: pathlib.Path, *also: str) -> dict[str, str]:
    """The project's environment with a ``yaml`` package (and the packages ``also``) first
    on the path that refuse to be imported: a command that parses YAML fails (exit 70,
    internal error)."""
    poison = tmp_path / "no-yaml"
    for name in ("yaml", *also):
        (poison / name).mkdir(parents=True, exist_ok=True)
        (poison / name / "__init__.py").write_text(POISON.format(name=name))
    path = os.pathsep.join(p for p in (str(poison), project.env.get("PYTHONPATH", "")) if p)
    return {**project.env, "PYTHONPATH": path}


def cache_dir(project: Project) -> pathlib.Path:
    return project.home / ".cache" / "seamless-config-services"


def test_resolve_reads_what_other_commands_parsed_and_writes_nothing(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)
    no_yaml = without_yaml(project, tmp_path)
    # Nothing cached yet: resolve must parse, and writes no cache entry.
    cold = project.run(*RESOLVE)
    assert (cold.returncode, cold.stderr) == (0, "")
    assert not cache_dir(project).exists()
    refused = project.run(*RESOLVE, env=no_yaml)
    assert refused.returncode == 70 and "yaml was imported" in refused.stderr
    # Any other command keeps the parsed documents (clusters.yaml, seamless.yaml, profile).
    listed = project.ok("seamless-service-ps", "--cluster", "here", "--json")
    entries = sorted(p.name for p in cache_dir(project).iterdir())
    # clusters.yaml, seamless.yaml, seamless.profile.yaml; and ps's plan (see the last test)
    assert [n.split("-")[0] for n in entries] == ["plan", "yaml", "yaml", "yaml"], entries
    assert all(n.endswith(".marshal") for n in entries)
    assert oct(cache_dir(project).stat().st_mode & 0o777) == "0o700"
    # resolve now answers without importing PyYAML, byte for byte as before, and the cache
    # is left exactly as it was.
    before = {p.name: p.read_bytes() for p in cache_dir(project).iterdir()}
    warm = project.run(*RESOLVE, env=no_yaml)
    assert (warm.returncode, warm.stdout, warm.stderr) == (0, cold.stdout, "")
    assert {p.name: p.read_bytes() for p in cache_dir(project).iterdir()} == before
    # ps too: the same rows from the cache as from the files.
    again = project.run("seamless-service-ps", "--cluster", "here", "--json", env=no_yaml)
    assert (again.returncode, again.stdout, again.stderr) == (0, listed.stdout, listed.stderr)


def test_a_changed_file_is_seen_at_once_even_with_the_same_size_and_mtime(tmp_path: pathlib.Path) -> None:
    """Entries are checked against the file's whole text, not its stat: an edit that keeps
    size and mtime (same-length text, mtime restored) is seen by the next command."""
    project = Project(tmp_path)
    first = project.ok("seamless-service-ps", "--cluster", "here")  # fills the cache
    assert first.returncode == 0
    assert project.ok(*RESOLVE).json_lines()[0]["key"] == "hashserver-here-rw-myproj"
    seamless_yaml = project.dir / "seamless.yaml"
    st = seamless_yaml.stat()
    text = seamless_yaml.read_text()
    assert "myproj" in text
    seamless_yaml.write_text(text.replace("myproj", "yourpr"))
    os.utime(seamless_yaml, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert seamless_yaml.stat().st_size == st.st_size and seamless_yaml.stat().st_mtime_ns == st.st_mtime_ns
    assert project.ok(*RESOLVE).json_lines()[0]["key"] == "hashserver-here-rw-yourpr"
    # A broken edit is reported by the parser, every time (never served from the cache).
    seamless_yaml.write_text("- project: [unclosed\n")
    for _ in range(2):
        broken = project.run(*RESOLVE)
        assert broken.returncode == 1 and broken.stdout == ""
        assert broken.stderr.startswith(f"seamless-service-resolve: {seamless_yaml}: ")
        assert "invalid YAML" in broken.stderr and len(broken.stderr.splitlines()) == 1


def test_a_damaged_or_foreign_cache_entry_is_not_used(tmp_path: pathlib.Path) -> None:
    """Garbage, a FIFO (which must not make a command wait) or a symbolic link in place of an
    entry: the command answers from the files, exactly as without a cache."""
    project = Project(tmp_path)
    expected = project.ok(*RESOLVE).stdout
    project.ok("seamless-service-ps", "--cluster", "here")
    entries = sorted(cache_dir(project).glob("yaml-*"))
    assert len(entries) == 3
    elsewhere = tmp_path / "elsewhere.marshal"
    elsewhere.write_bytes(entries[1].read_bytes())
    entries[0].write_bytes(b"\x00garbage")
    entries[1].unlink()
    entries[1].symlink_to(elsewhere)
    entries[2].unlink()
    os.mkfifo(entries[2])
    no_yaml = without_yaml(project, tmp_path)
    # Not one entry is usable: resolve has to parse (so PyYAML is imported) ...
    refused = project.run(*RESOLVE, env=no_yaml, timeout=30)
    assert refused.returncode == 70 and "yaml was imported" in refused.stderr
    # ... and answers as always.
    result = project.run(*RESOLVE, timeout=30)
    assert (result.returncode, result.stdout, result.stderr) == (0, expected, "")


def test_ps_server_answers_from_its_plan_without_the_configuration_layer(tmp_path: pathlib.Path) -> None:
    """A server-side ps keeps its plan (hosts to ask, clusters known, service types): run
    again, it imports neither PyYAML nor pluggy; the state is still read live, and a change
    to a cluster file makes the next ps compute the plan again."""
    project = Project(tmp_path)
    no_config = without_yaml(project, tmp_path, "pluggy")
    argv = ("seamless-service-ps", "--server", "--json")
    first = project.ok(*argv)
    assert first.stdout == ""  # nothing runs yet
    assert len(list(cache_dir(project).glob("plan-*.marshal"))) == 1
    again = project.run(*argv, env=no_config)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    hs = project.start("hashserver")
    live = project.run(*argv, env=no_config)  # the state is read live, not from the plan
    assert live.returncode == 0, live
    [row] = live.json_lines()
    assert (row["service"], row["process"], row["port"]) == ("hashserver", "running", hs["port"])
    # Another frontend in the cluster file: the plan is stale, and is computed again.
    project.clusters["here"]["frontends"][0]["hostname"] = "localhost"
    project.write_clusters()
    stale = project.run(*argv, env=no_config)
    assert stale.returncode == 70 and "was imported" in stale.stderr
    fresh = project.run(*argv)
    assert (fresh.returncode, fresh.stdout) == (0, live.stdout)
    project.ok("seamless-service-stop", "--service", "hashserver")
