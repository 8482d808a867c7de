"""rhl-cache-conda, rhl-conda-info and the conda core (discovery, cache, environments,
activation), against the conda stand-in of tests/fakeconda (conda cannot be installed here).

The stand-in honours conda's command-line contract; the first tests below pin that down, so
that what the rest proves holds for a real installation too.
"""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import subprocess
import sys

import pytest

from conftest import Result, RhlEnv
from fakeconda import FakeConda, build
from remote_http_launcher import conda
from sshd_support import SSHD

SYSTEM_PATH = "/usr/bin:/bin"
SHOW_ENV = 'printf "%s|%s|%s\\n" "$CONDA_PREFIX" "$CONDA_DEFAULT_ENV" "$(command -v whichenv)"'


@pytest.fixture
def home(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def env(rhl: RhlEnv, home: pathlib.Path) -> dict[str, str]:
    """The helpers' environment: a private HOME, and a PATH without any conda."""
    environ = {k: v for k, v in rhl.env.items() if not k.startswith("CONDA") and not k.startswith("_CE_")}
    environ["HOME"] = str(home)
    environ["PATH"] = f"{pathlib.Path(sys.executable).parent}:{SYSTEM_PATH}"
    return environ


@pytest.fixture
def inproc(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """The same environment for calls of the conda module in this process."""
    for name in list(os.environ):
        if name.startswith("CONDA") or name.startswith("_CE_"):
            monkeypatch.delenv(name)
    for name in ("HOME", "PATH", "REMOTE_HTTP_LAUNCHER_DIR"):
        monkeypatch.setenv(name, env[name])


def run(rhl: RhlEnv, env: dict[str, str], *argv: str) -> Result:
    return rhl.run(*argv, env=env)


def cache_path(rhl: RhlEnv) -> pathlib.Path:
    return rhl.base / "conda-setup.json"


def in_env(activation: conda.CondaEnv, script: str = SHOW_ENV) -> str:
    proc = subprocess.run(
        activation.argv(["sh", "-c", script]),
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def whichenv(name: str) -> dict[str, str]:
    return {"whichenv": f"echo {name}"}


# --------------------------------------------------------------------------- the stand-in


def test_stand_in_honours_condas_contract(home: pathlib.Path, env: dict[str, str]) -> None:
    fake = build(home, envs=["work"])

    def conda_cmd(*args: str, shell: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = ["bash", "--norc", "--noprofile", "-c", shell] if shell else [str(fake.exe), *args]
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=30)

    assert conda_cmd("info", "--base").stdout == f"{fake.base}\n"
    info = json.loads(conda_cmd("info", "--json").stdout)
    assert info["root_prefix"] == info["conda_prefix"] == str(fake.base)
    assert info["envs"] == [str(fake.base), str(fake.base / "envs" / "work")]
    assert json.loads(conda_cmd("env", "list", "--json").stdout) == {"envs": info["envs"]}
    unknown = conda_cmd("frobnicate")
    assert unknown.returncode == 2 and "invalid choice: 'frobnicate'" in unknown.stderr
    not_initialised = conda_cmd("activate", "work")
    assert not_initialised.returncode == 1
    assert "CondaError: Run 'conda init' before 'conda activate'" in not_initialised.stderr
    activated = conda_cmd(
        shell=f'. {fake.conda_sh} && conda activate work && echo "$CONDA_DEFAULT_ENV $PATH"'
    )
    assert activated.stdout.startswith(f"work {fake.base}/envs/work/bin:{fake.base}/condabin:")
    missing = conda_cmd(shell=f". {fake.conda_sh} && conda activate nope")
    assert missing.returncode == 1
    assert "EnvironmentNameNotFound: Could not find conda environment: nope" in missing.stderr


# --------------------------------------------------------------------------- rhl-cache-conda


def test_cache_written_from_a_home_install(rhl: RhlEnv, env: dict[str, str], home: pathlib.Path) -> None:
    fake = build(home, "miniforge3", envs=["work", "other"])
    result = run(rhl, env, "rhl-cache-conda")
    path = cache_path(rhl)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"rhl-cache-conda: wrote {path}\n", "")
    text = path.read_text()
    expected = {
        "conda_source": str(fake.conda_sh),
        "conda_base": str(fake.base),
        "envs": [str(fake.base), str(fake.env("other")), str(fake.env("work"))],
    }
    assert text == json.dumps(expected, indent=2) + "\n"  # 0.4.5's layout: indent 2, this key order
    assert sorted(p.name for p in rhl.base.iterdir()) == ["conda-setup.json"]  # no temporary file left


def test_conda_info_prints_one_compact_line(rhl: RhlEnv, env: dict[str, str], home: pathlib.Path) -> None:
    fake = build(home, "miniconda3", envs=["work"])
    assert run(rhl, env, "rhl-cache-conda").returncode == 0
    info = run(rhl, env, "rhl-conda-info")
    line = (
        f'{{"conda_base":"{fake.base}","conda_source":"{fake.conda_sh}",'
        f'"envs":["{fake.base}","{fake.env("work")}"]}}\n'
    )
    assert (info.returncode, info.stdout, info.stderr) == (0, line, "")
    as_json = run(rhl, env, "rhl-cache-conda", "--json")
    assert (as_json.returncode, as_json.stdout) == (0, line)


def test_discovery_order(rhl: RhlEnv, env: dict[str, str], home: pathlib.Path) -> None:
    """$CONDA_EXE, then conda on PATH, then the ~/.bashrc block, then ~/miniforge3, ~/miniconda3."""
    installs = {
        name: FakeConda(home, flavour).install()
        for name, flavour in [
            ("exe", "opt/by-exe"),
            ("path", "opt/on-path"),
            ("bashrc", "opt/in-bashrc"),
            ("miniforge3", "miniforge3"),
            ("miniconda3", "miniconda3"),
        ]
    }
    installs["bashrc"].init_bashrc()
    full = {
        **env,
        "CONDA_EXE": str(installs["exe"].exe),
        "PATH": f"{installs['path'].base}/bin:{env['PATH']}",
    }

    def chosen(environ: dict[str, str]) -> str:
        result = run(rhl, environ, "rhl-cache-conda", "--json")
        assert result.returncode == 0, result.stderr
        return str(json.loads(result.stdout)["conda_base"])

    assert chosen(full) == str(installs["exe"].base)
    del full["CONDA_EXE"]
    assert chosen(full) == str(installs["path"].base)
    assert chosen(env) == str(installs["bashrc"].base)
    (home / ".bashrc").unlink()
    assert chosen(env) == str(installs["miniforge3"].base)
    (installs["miniforge3"].conda_sh).unlink()
    assert chosen(env) == str(installs["miniconda3"].base)


def test_bashrc_block_that_only_sources_conda_sh(
    rhl: RhlEnv, env: dict[str, str], home: pathlib.Path
) -> None:
    fake = FakeConda(home, "tools/conda").install()
    (home / ".bashrc").write_text(
        "# >>> conda initialize >>>\n. $HOME/tools/conda/etc/profile.d/conda.sh\n# <<< conda initialize <<<\n"
    )
    result = run(rhl, env, "rhl-cache-conda", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["conda_source"] == str(fake.conda_sh)


def test_missing_conda_is_one_clear_line(rhl: RhlEnv, env: dict[str, str]) -> None:
    result = run(rhl, env, "rhl-cache-conda")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "rhl-cache-conda: conda not found: not on PATH, no $CONDA_EXE, no conda initialize block in "
        "~/.bashrc, and no ~/miniforge3, ~/miniconda3, ~/mambaforge, ~/anaconda3\n"
    )
    assert not cache_path(rhl).exists()
    info = run(rhl, env, "rhl-conda-info")
    assert (info.returncode, info.stdout) == (1, "")
    assert info.stderr == f"rhl-conda-info: cache file not found: {cache_path(rhl)} (run rhl-cache-conda)\n"


def test_a_broken_conda_falls_through_to_the_next(
    rhl: RhlEnv, env: dict[str, str], home: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    broken = tmp_path / "broken-bin"
    broken.mkdir()
    (broken / "conda").write_text("#!/bin/sh\necho 'conda: something is very wrong' >&2\nexit 3\n")
    (broken / "conda").chmod(0o755)
    with_broken = {**env, "PATH": f"{broken}:{env['PATH']}"}
    alone = run(rhl, with_broken, "rhl-cache-conda")
    assert alone.returncode == 1
    assert alone.stderr == (
        f"rhl-cache-conda: no usable conda: conda on PATH: '{broken}/conda info --json' failed "
        "(exit 3): conda: something is very wrong\n"
    )
    fake = build(home)
    result = run(rhl, with_broken, "rhl-cache-conda", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["conda_base"] == str(fake.base)


def test_login_profile_output_never_leaks(rhl: RhlEnv, env: dict[str, str], home: pathlib.Path) -> None:
    fake = build(home, envs=["work"], bashrc=True)
    for name in (".profile", ".bash_profile", ".bashrc"):
        path = home / name
        path.write_text(
            "echo PROFILE-NOISE\necho PROFILE-NOISE >&2\n" + (path.read_text() if path.exists() else "")
        )
    result = run(rhl, env, "rhl-cache-conda")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"rhl-cache-conda: wrote {cache_path(rhl)}\n",
        "",
    )
    activation = conda.CondaEnv("work", str(fake.env("work")), conda.read_cache(str(cache_path(rhl))))
    assert "PROFILE-NOISE" not in in_env(activation)


@pytest.mark.parametrize("argv", [["extra"], ["--frob"]])
def test_usage_errors(rhl: RhlEnv, env: dict[str, str], argv: list[str]) -> None:
    for helper in ("rhl-cache-conda", "rhl-conda-info"):
        result = run(rhl, env, helper, *argv)
        assert result.returncode == 1, result
        assert result.stderr.startswith(f"{helper}: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "raw,message",
    [
        (
            "{",
            "malformed JSON in {path}: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        ("", "malformed JSON in {path}: empty file"),
        ("[]", "cache file must contain a JSON object: {path}"),
        (
            '{"conda_base": 3, "envs": []}',
            "malformed conda cache {path}: conda_base must be a non-empty string",
        ),
        ('{"conda_base": "/c", "envs": "x"}', "malformed conda cache {path}: envs must be a list of paths"),
        (
            '{"conda_base": "/c", "envs": [], "conda_source": 1}',
            "malformed conda cache {path}: conda_source must be a string or null",
        ),
    ],
)
def test_malformed_cache(rhl: RhlEnv, env: dict[str, str], raw: str, message: str) -> None:
    path = cache_path(rhl)
    path.parent.mkdir(parents=True)
    path.write_text(raw)
    result = run(rhl, env, "rhl-conda-info")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "rhl-conda-info: " + message.format(path=path) + "\n"


def test_unreadable_cache(rhl: RhlEnv, env: dict[str, str]) -> None:
    cache_path(rhl).mkdir(parents=True)
    result = run(rhl, env, "rhl-conda-info")
    assert result.returncode == 1
    path = cache_path(rhl)
    assert result.stderr == f"rhl-conda-info: could not read {path}: not a regular file: {path}\n"


def test_cache_not_writable_is_a_clear_error(rhl: RhlEnv, env: dict[str, str], home: pathlib.Path) -> None:
    build(home)
    rhl.base.parent.mkdir(parents=True, exist_ok=True)
    rhl.base.write_text("a file where the state directory should be")
    result = run(rhl, env, "rhl-cache-conda")
    assert result.returncode == 1
    assert result.stderr.startswith(f"rhl-cache-conda: could not write {cache_path(rhl)}: ")
    assert result.stderr.count("\n") == 1


# --------------------------------------------------------------------------- environments


def test_env_by_name_path_and_base(
    rhl: RhlEnv, home: pathlib.Path, inproc: None, tmp_path: pathlib.Path
) -> None:
    fake = build(home)
    fake.create_env("work", executables=whichenv("work"))
    elsewhere = fake.create_prefix(tmp_path / "projects" / "pinned", executables=whichenv("pinned"))
    conda.refresh()
    work = conda.resolve_env("work")
    assert (work.prefix, work.activate_as) == (str(fake.env("work")), "work")
    assert in_env(work) == f"{fake.env('work')}|work|{fake.env('work')}/bin/whichenv\n"
    by_path = conda.resolve_env(str(fake.env("work")))
    assert in_env(by_path) == f"{fake.env('work')}|{fake.env('work')}|{fake.env('work')}/bin/whichenv\n"
    base = conda.resolve_env("base")  # 0.4.5 never found it (suffix test)
    assert (base.prefix, base.activate_as) == (str(fake.base), "base")
    assert in_env(base, 'printf "%s|%s\\n" "$CONDA_PREFIX" "$CONDA_DEFAULT_ENV"') == f"{fake.base}|base\n"
    pinned = conda.resolve_env(str(elsewhere))
    assert in_env(pinned).startswith(f"{elsewhere}|{elsewhere}|")
    # A plain name that conda activate cannot find by name is activated by its path.
    by_name = conda.resolve_env("pinned")
    assert (by_name.prefix, by_name.activate_as) == (str(elsewhere), str(elsewhere))
    assert in_env(by_name).endswith(f"|{elsewhere}/bin/whichenv\n")


def test_arguments_reach_the_service_verbatim(rhl: RhlEnv, home: pathlib.Path, inproc: None) -> None:
    build(home, envs=["work"])
    argv = conda.activation_argv(
        "work", [sys.executable, "-c", "import sys; print(sys.argv[1:])", "a b", "$HOME", "'"]
    )
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "['a b', '$HOME', \"'\"]\n", "")


def test_missing_env_refreshes_the_cache_once(
    rhl: RhlEnv, home: pathlib.Path, inproc: None, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = build(home, envs=["work"])
    conda.refresh()
    calls = tmp_path / "conda-calls.log"
    monkeypatch.setenv("FAKECONDA_LOG", str(calls))

    def info_calls() -> int:
        return sum(1 for line in calls.read_text().splitlines() if json.loads(line) == ["info", "--json"])

    fake.create_env("late", executables=whichenv("late"))  # created after the cache was written
    late = conda.resolve_env("late")
    assert in_env(late).startswith(f"{fake.env('late')}|late|")
    assert info_calls() == 1
    assert str(fake.env("late")) in conda.read_cache().envs  # the refreshed cache was kept
    conda.resolve_env("late")
    assert info_calls() == 1  # found in the cache: conda is not run again
    with pytest.raises(conda.CondaEnvNotFound) as caught:
        conda.resolve_env("nope")
    assert info_calls() == 2  # one refresh, not more
    assert caught.value.message == (
        f"conda environment 'nope' does not exist (conda at {fake.base} has: base, "
        f"{fake.env('late')}, {fake.env('work')}; cache {cache_path(rhl)})"
    )
    assert caught.value.exit_code == 1


def test_missing_conda_or_cache_in_resolve(rhl: RhlEnv, home: pathlib.Path, inproc: None) -> None:
    with pytest.raises(conda.CondaNotFound) as caught:
        conda.resolve_env("work")
    assert caught.value.message.startswith("conda not found: ")
    with pytest.raises(conda.CondaCacheError) as cache_error:
        conda.resolve_env("work", refresh_once=False)
    assert cache_error.value.missing
    build(home, envs=["work"])  # no cache yet: discovery runs once and writes it
    assert conda.resolve_env("work").prefix == str(home / "miniforge3" / "envs" / "work")
    assert cache_path(rhl).exists()


def test_malformed_cache_is_rebuilt_by_resolve(rhl: RhlEnv, home: pathlib.Path, inproc: None) -> None:
    fake = build(home, envs=["work"])
    cache_path(rhl).parent.mkdir(parents=True)
    cache_path(rhl).write_text("{truncated")
    assert conda.resolve_env("work").prefix == str(fake.env("work"))
    assert conda.read_cache().conda_base == str(fake.base)


@pytest.mark.parametrize("name", ["", "   ", "a\nb", "x\0y"])
def test_invalid_env_names(rhl: RhlEnv, inproc: None, name: str) -> None:
    with pytest.raises(conda.CondaError, match="conda environment name is invalid"):
        conda.resolve_env(name)


def test_a_0_4_5_cache_with_null_source(rhl: RhlEnv, home: pathlib.Path, inproc: None) -> None:
    """0.4.5 wrote conda_source null when a login shell could activate: we still activate
    without a login shell, with the installation's own conda.sh."""
    fake = build(home)
    fake.create_env("work", executables=whichenv("work"))
    cache_path(rhl).parent.mkdir(parents=True)
    cache_path(rhl).write_text(
        json.dumps(
            {
                "conda_source": None,
                "conda_base": str(fake.base),
                "envs": [str(fake.base), str(fake.env("work"))],
            }
        )
    )
    activation = conda.resolve_env("work")
    assert "-l" not in activation.argv(["true"])[1:3]
    assert in_env(activation).startswith(f"{fake.env('work')}|work|")


# --------------------------------------------------------------------------- interoperability


@pytest.mark.reference
def test_reference_and_ours_read_each_others_cache(
    rhl: RhlEnv, env: dict[str, str], home: pathlib.Path, reference_bin: pathlib.Path, inproc: None
) -> None:
    fake = build(home, envs=["work"], bashrc=True)
    ours = run(rhl, env, "rhl-cache-conda")
    assert ours.returncode == 0, ours.stderr
    our_file = cache_path(rhl).read_text()
    mine = run(rhl, env, "rhl-conda-info")
    theirs = run(rhl, env, str(reference_bin / "rhl-conda-info"))
    assert (theirs.returncode, theirs.stdout) == (0, mine.stdout)

    cache_path(rhl).unlink()
    made = run(rhl, env, str(reference_bin / "rhl-cache-conda"))
    assert made.returncode == 0, made.stderr
    assert json.loads(cache_path(rhl).read_text()) == json.loads(our_file)  # same facts, same fields
    mine = run(rhl, env, "rhl-conda-info")
    theirs = run(rhl, env, str(reference_bin / "rhl-conda-info"))
    assert (mine.returncode, mine.stdout) == (0, theirs.stdout)
    assert conda.resolve_env("work").prefix == str(fake.env("work"))


# --------------------------------------------------------------------------- over SSH, as svc


def test_over_ssh_as_svc(sshd_isolated: SSHD) -> None:
    svc = pwd.getpwnam("svc")
    home = sshd_isolated.home("svc")
    fake = build(home, "miniconda3", envs=["work"], owner=(svc.pw_uid, svc.pw_gid))
    prepend = "PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH"  # the clients' convention
    cached = sshd_isolated.run("rhltest-svc", prepend, "rhl-cache-conda")
    path = home / ".remote-http-launcher" / "conda-setup.json"
    assert (cached.returncode, cached.stdout, cached.stderr) == (0, f"rhl-cache-conda: wrote {path}\n", "")
    info = sshd_isolated.run("rhltest-svc", "rhl-conda-info")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout) == {
        "conda_base": str(fake.base),
        "conda_source": str(fake.conda_sh),
        "envs": [str(fake.base), str(fake.env("work"))],
    }
    assert path.stat().st_uid == svc.pw_uid


def test_a_fifo_named_as_the_conda_cache_is_an_error_at_once(rhl: RhlEnv, env: dict[str, str]) -> None:
    """conda-setup.json replaced by a FIFO: rhl-conda-info says so at once, exit 1 (a plain
    open() of a FIFO waits for a writer forever); a symbolic link to a real cache still reads."""
    path = cache_path(rhl)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    try:
        info = rhl.run("rhl-conda-info", env=env, timeout=30)
    finally:
        path.unlink()
    assert (info.returncode, info.stdout) == (1, "")
    assert info.stderr == f"rhl-conda-info: could not read {path}: not a regular file: {path}\n"
    real = rhl.tmp / "real-conda-setup.json"
    real.write_text('{"conda_base": "/opt/conda", "conda_source": null, "envs": []}\n')
    path.symlink_to(real)
    info = rhl.run("rhl-conda-info", env=env, timeout=30)
    assert (info.returncode, info.stdout, info.stderr) == (
        0,
        '{"conda_base":"/opt/conda","conda_source":null,"envs":[]}\n',
        "",
    )
