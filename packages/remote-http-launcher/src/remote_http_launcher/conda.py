"""Conda on the target: find it, cache what we found, look environments up, activate them.

Why a cache: finding conda means running it (``conda info --json`` starts a Python and takes
about a second), and a launch must not pay that every time. ``rhl-cache-conda`` writes
``<base>/conda-setup.json``; ``rhl-conda-info`` prints it; the launch helper reads it and
refreshes it once when an environment is not listed (it may have been created since).

The cache format is remote-http-launcher 0.4.5's, so either version reads the other's:
``{"conda_source": <conda.sh path or null>, "conda_base": <root prefix>, "envs": [<prefixes>]}``.
0.4.5 wrote ``null`` when a login shell could already ``conda activate``; we always record the
``conda.sh`` path, because we activate in a non-login shell (a login shell runs the user's
profile, whose output would land in the service log) and a path works for 0.4.5 too.

Discovery order (the seeds' order): ``$CONDA_EXE`` and ``conda`` on PATH (the clients
prepend ``~/miniforge3/bin:~/miniconda3/bin``); the ``# >>> conda initialize >>>`` block of
``~/.bashrc``; then ``~/miniforge3``, ``~/miniconda3``, ``~/mambaforge``, ``~/anaconda3``.
The first installation whose ``conda info --json`` answers and whose ``conda.sh`` can
``conda activate base`` wins. No login shell is involved anywhere.

Environment lookup fixes 0.4.5's suffix test (``conda: base`` never matched): ``base`` is the
root prefix, a name with ``/`` is a path, a plain name prefers ``<conda_base>/envs/NAME``.
"""

from __future__ import annotations

import json
import os

from . import paths, state
from .errors import RhlError

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any

#: Installation directories under $HOME tried last, in this order (the seeds name the first two).
HOME_INSTALLS = ("miniforge3", "miniconda3", "mambaforge", "anaconda3")
CONDA_SH = os.path.join("etc", "profile.d", "conda.sh")
BASHRC_BEGIN = "# >>> conda initialize >>>"
BASHRC_END = "# <<< conda initialize <<<"
#: conda on a slow shared file system can take tens of seconds; a hung one must not hang us.
PROBE_TIMEOUT = 120.0
#: How the activation shell is named in ``ps`` and in its own error messages.
SHELL_NAME = "rhl-conda"


class CondaError(RhlError):
    """Conda is unusable on this host, or an environment cannot be activated."""


class CondaNotFound(CondaError):
    """No conda installation was found at all."""


class CondaEnvNotFound(CondaError):
    """The requested environment is not among the installation's environments."""


class CondaCacheError(CondaError):
    """The cache file is missing, unreadable or not in the expected format."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


class CondaSetup:
    """The content of ``conda-setup.json``."""

    __slots__ = ("conda_base", "conda_source", "envs", "extra")

    def __init__(
        self, conda_source: str | None, conda_base: str, envs: list[str], extra: dict[str, Any] | None = None
    ) -> None:
        self.conda_source = conda_source
        self.conda_base = conda_base
        self.envs = envs
        self.extra = extra or {}

    def to_json(self) -> dict[str, Any]:
        """Field order as 0.4.5 wrote it; unknown fields of a file we read are kept."""
        return {
            **self.extra,
            "conda_source": self.conda_source,
            "conda_base": self.conda_base,
            "envs": self.envs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], path: str) -> CondaSetup:
        source = data.get("conda_source")
        if source is not None and not isinstance(source, str):
            raise CondaCacheError(f"malformed conda cache {path}: conda_source must be a string or null")
        base = data.get("conda_base")
        if not isinstance(base, str) or not base:
            raise CondaCacheError(f"malformed conda cache {path}: conda_base must be a non-empty string")
        envs = data.get("envs")
        if not isinstance(envs, list) or not all(isinstance(e, str) for e in envs):
            raise CondaCacheError(f"malformed conda cache {path}: envs must be a list of paths")
        extra = {k: v for k, v in data.items() if k not in ("conda_source", "conda_base", "envs")}
        return cls(source, base, list(envs), extra)

    @property
    def activation_script(self) -> str | None:
        """The conda.sh to source: the recorded one, else the installation's own."""
        if self.conda_source:
            return self.conda_source
        candidate = os.path.join(self.conda_base, CONDA_SH)
        return candidate if os.path.isfile(candidate) else None


# --------------------------------------------------------------------------- the cache


def read_cache_object(path: str | None = None) -> dict[str, Any]:
    """The cache as a JSON object, unvalidated (``rhl-conda-info`` prints it as it is)."""
    path = path or paths.conda_cache_path()
    try:  # never blocks on a FIFO named like the cache; a symbolic link to a cache is fine
        raw = state.read_regular_bytes(path, follow_symlinks=True)
    except FileNotFoundError:
        raise CondaCacheError(f"cache file not found: {path} (run rhl-cache-conda)", missing=True) from None
    except OSError as exc:
        raise CondaCacheError(f"could not read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        reason = "empty file" if not raw.strip() else str(exc)
        raise CondaCacheError(f"malformed JSON in {path}: {reason}") from None
    if not isinstance(data, dict):
        raise CondaCacheError(f"cache file must contain a JSON object: {path}")
    return data


def read_cache(path: str | None = None) -> CondaSetup:
    path = path or paths.conda_cache_path()
    return CondaSetup.from_json(read_cache_object(path), path)


def write_cache(setup: CondaSetup, path: str | None = None) -> str:
    """Write the cache atomically (readers never see half a file); return its path."""
    path = path or paths.conda_cache_path()
    state.write_atomic(path, (json.dumps(setup.to_json(), indent=2) + "\n").encode(), mode=0o644)
    return path


def compact(data: dict[str, Any]) -> str:
    """One line, keys sorted, no spaces: the format of ``rhl-conda-info`` (0.4.5's too)."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


# --------------------------------------------------------------------------- discovery


class Candidate:
    """A place where conda may be: its program and/or its conda.sh, and how we found it."""

    __slots__ = ("conda_sh", "exe", "origin")

    def __init__(self, origin: str, exe: str | None = None, conda_sh: str | None = None) -> None:
        self.origin = origin
        self.exe = exe
        self.conda_sh = conda_sh

    def program(self) -> str | None:
        if self.exe:
            return self.exe
        if self.conda_sh:
            base = _base_of_conda_sh(self.conda_sh)
            for sub in ("bin", "condabin"):
                path = os.path.join(base, sub, "conda")
                if _executable(path):
                    return path
        return None

    def identity(self) -> str:
        where = self.program() or self.conda_sh or self.origin
        return os.path.realpath(where)


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _base_of_conda_sh(conda_sh: str) -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(conda_sh)))


def _which(name: str, search_path: str) -> str | None:
    for directory in search_path.split(os.pathsep):
        if directory:
            path = os.path.join(directory, name)
            if _executable(path):
                return path
    return None


def _expand_home(text: str, home: str) -> str:
    for token in ("${HOME}", "$HOME"):
        text = text.replace(token, home)
    if text == "~" or text.startswith("~/"):
        text = home + text[1:]
    return text


def bashrc_block_paths(text: str, home: str) -> tuple[str | None, str | None]:
    """(conda program, conda.sh) named in the ``conda initialize`` block of a .bashrc.

    ``conda init`` writes both (the program for ``shell.bash hook``, conda.sh as the
    fallback); hand-written blocks often only source conda.sh, with ``$HOME`` or ``~``.
    """
    begin = text.find(BASHRC_BEGIN)
    if begin < 0:
        return None, None
    end = text.find(BASHRC_END, begin)
    import re  # here: the helpers that never parse a .bashrc do not pay for it

    pattern = re.compile(
        r"[^\s\"'()=;|&<>`]+/(?:etc/profile\.d/conda\.sh|condabin/conda|bin/conda)(?![\w.-])"
    )
    exe = conda_sh = None
    for line in text[begin : end if end >= 0 else len(text)].splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in pattern.finditer(line):
            word = _expand_home(match.group(0), home)
            if word.endswith(CONDA_SH):
                conda_sh = conda_sh or word
            else:
                exe = exe or word
    return exe, conda_sh


def candidates(environ: dict[str, str] | None = None) -> list[Candidate]:
    """Every place to try, in the seeds' order, without running anything."""
    env = os.environ if environ is None else environ
    home = env.get("HOME") or os.path.expanduser("~")
    found: list[Candidate] = []
    conda_exe = env.get("CONDA_EXE")
    if conda_exe and _executable(conda_exe):
        found.append(Candidate("$CONDA_EXE", exe=conda_exe))
    on_path = _which("conda", env.get("PATH", ""))
    if on_path:
        found.append(Candidate("conda on PATH", exe=on_path))
    try:
        with open(os.path.join(home, ".bashrc"), encoding="utf-8", errors="replace") as handle:
            bashrc = handle.read()
    except OSError:
        bashrc = ""
    exe, conda_sh = bashrc_block_paths(bashrc, home)
    if exe and not _executable(exe):
        exe = None
    if conda_sh and not os.path.isfile(conda_sh):
        conda_sh = None
    if exe or conda_sh:
        found.append(Candidate("the conda initialize block of ~/.bashrc", exe=exe, conda_sh=conda_sh))
    for name in HOME_INSTALLS:
        script = os.path.join(home, name, CONDA_SH)
        if os.path.isfile(script):
            found.append(Candidate(f"~/{name}", conda_sh=script))
    unique: list[Candidate] = []
    seen: set[str] = set()
    for candidate in found:
        identity = candidate.identity()
        if identity not in seen:
            seen.add(identity)
            unique.append(candidate)
    return unique


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _run(argv: list[str]) -> tuple[int, str, str]:
    import subprocess

    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            stdin=subprocess.DEVNULL,
            errors="replace",
        )
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {PROBE_TIMEOUT:g} s"
    except OSError as exc:
        return 126, "", str(exc)
    return proc.returncode, proc.stdout, proc.stderr


def bash() -> str:
    return "/bin/bash" if os.path.exists("/bin/bash") else "bash"


def probe(candidate: Candidate) -> CondaSetup:
    """Ask one installation for its root and environments and check that activation works."""
    program = candidate.program()
    if program is None:
        raise CondaError(f"{candidate.origin}: no conda program next to {candidate.conda_sh}")
    code, out, err = _run([program, "info", "--json"])
    if code != 0:
        raise CondaError(f"'{program} info --json' failed (exit {code}): {_last_line(err)}")
    try:
        info = json.loads(out)
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        raise CondaError(f"could not parse the output of '{program} info --json': {exc}") from None
    root = info.get("root_prefix") or info.get("conda_prefix")
    if not isinstance(root, str) or not root:
        raise CondaError(f"'{program} info --json' names no root_prefix")
    envs = info.get("envs")
    if envs is None:  # very old conda: ask the other way
        code, out, err = _run([program, "env", "list", "--json"])
        if code != 0:
            raise CondaError(f"'{program} env list --json' failed (exit {code}): {_last_line(err)}")
        try:
            envs = json.loads(out).get("envs")
        except (ValueError, AttributeError) as exc:
            raise CondaError(f"could not parse the output of '{program} env list --json': {exc}") from None
    if not isinstance(envs, list) or not all(isinstance(e, str) for e in envs):
        raise CondaError(f"'{program} info --json' gave no list of environments")
    conda_sh = candidate.conda_sh
    if not conda_sh or os.path.realpath(_base_of_conda_sh(conda_sh)) != os.path.realpath(root):
        conda_sh = os.path.join(root, CONDA_SH)
    if not os.path.isfile(conda_sh):
        raise CondaError(f"conda at {root} has no {CONDA_SH}")
    script = '. "$1" || exit 127; conda activate base'
    code, _out, err = _run([bash(), "--noprofile", "--norc", "-c", script, SHELL_NAME, conda_sh])
    if code != 0:
        raise CondaError(f"'conda activate base' failed after sourcing {conda_sh}: {_last_line(err)}")
    return CondaSetup(conda_sh, root, envs)


def discover(environ: dict[str, str] | None = None) -> CondaSetup:
    """The first working installation, or :class:`CondaNotFound` / :class:`CondaError`."""
    tried = candidates(environ)
    if not tried:
        raise CondaNotFound(
            "conda not found: not on PATH, no $CONDA_EXE, no conda initialize block in ~/.bashrc, and no "
            + ", ".join(f"~/{name}" for name in HOME_INSTALLS)
        )
    failures: list[str] = []
    for candidate in tried:
        try:
            return probe(candidate)
        except CondaError as exc:
            failures.append(f"{candidate.origin}: {exc.message}")
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    raise CondaError(f"no usable conda: {failures[0]}{more}")


def refresh(path: str | None = None) -> tuple[CondaSetup, str]:
    """Discover conda and rewrite the cache: what ``rhl-cache-conda`` does."""
    setup = discover()
    return setup, write_cache(setup, path)


# --------------------------------------------------------------------------- environments


def check_env_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "\n\r\0"):
        raise CondaError(f"conda environment name is invalid: {name!r}")
    return name


def _norm(path: str) -> str:
    return os.path.normpath(os.path.abspath(os.path.expanduser(path)))


def find_env(setup: CondaSetup, name: str) -> str | None:
    """The prefix of environment ``name`` (``base``, a name, or a path) in ``setup``, or None."""
    if name == "base":
        return setup.conda_base
    if "/" in name or name.startswith("~"):
        wanted = _norm(name)
        real = os.path.realpath(wanted)
        for prefix in [setup.conda_base, *setup.envs]:
            if _norm(prefix) == wanted or os.path.realpath(prefix) == real:
                return prefix
        return None
    same_name = [p for p in setup.envs if os.path.basename(os.path.normpath(p)) == name]
    base_envs = _norm(os.path.join(setup.conda_base, "envs"))

    def rank(prefix: str) -> int:
        parent = os.path.dirname(_norm(prefix))
        return 0 if parent == base_envs else 1 if os.path.basename(parent) == "envs" else 2

    same_name.sort(key=rank)
    return same_name[0] if same_name else None


class CondaEnv:
    """An environment that exists, and how to start a program inside it."""

    __slots__ = ("activate_as", "name", "prefix", "setup")

    def __init__(self, name: str, prefix: str, setup: CondaSetup) -> None:
        self.name = name
        self.prefix = prefix
        self.setup = setup
        # ``conda activate NAME`` searches the envs directories only; anything else by path.
        in_envs_dir = os.path.basename(os.path.dirname(_norm(prefix))) == "envs"
        plain = "/" not in name and not name.startswith("~")
        self.activate_as = name if name == "base" or (plain and in_envs_dir) else prefix

    def argv(self, command: list[str]) -> list[str]:
        """``command`` run inside the activated environment.

        A non-login, rc-less bash sources conda.sh, activates, and ``exec``s the command:
        nothing from the user's profile runs or prints, and the arguments travel as
        positional parameters, never through shell quoting.
        """
        script_path = self.setup.activation_script
        if script_path:
            script = '. "$1" || exit 127; conda activate "$2" || exit 1; shift 2; exec "$@"'
            return [
                bash(),
                "--noprofile",
                "--norc",
                "-c",
                script,
                SHELL_NAME,
                script_path,
                self.activate_as,
                *command,
            ]
        # A 0.4.5 cache saying "a login shell can activate" and no conda.sh where it should be.
        script = 'conda activate "$1" || exit 1; shift; exec "$@"'
        return [bash(), "-lc", script, SHELL_NAME, self.activate_as, *command]


def _missing_env_message(name: str, setup: CondaSetup, path: str) -> str:
    listed = ", ".join(["base", *[p for p in setup.envs if _norm(p) != _norm(setup.conda_base)]])
    return (
        f"conda environment {name!r} does not exist (conda at {setup.conda_base} has: {listed}; cache {path})"
    )


def resolve_env(name: str, *, path: str | None = None, refresh_once: bool = True) -> CondaEnv:
    """Does environment ``name`` exist, and how is it activated? For the launch helper.

    Reads the cache; when the cache is missing or malformed, or does not list the
    environment, runs discovery once, rewrites the cache, and looks again. Raises
    :class:`CondaNotFound`, :class:`CondaEnvNotFound` or :class:`CondaError` with a one-line
    message.
    """
    check_env_name(name)
    path = path or paths.conda_cache_path()
    setup: CondaSetup | None
    try:
        setup = read_cache(path)
    except CondaCacheError:
        if not refresh_once:
            raise
        setup = None
    if setup is not None:
        prefix = find_env(setup, name)
        if prefix is not None:
            return CondaEnv(name, prefix, setup)
        if not refresh_once:
            raise CondaEnvNotFound(_missing_env_message(name, setup, path))
    setup, path = refresh(path)
    prefix = find_env(setup, name)
    if prefix is None:
        raise CondaEnvNotFound(_missing_env_message(name, setup, path))
    return CondaEnv(name, prefix, setup)


def activation_argv(name: str, command: list[str]) -> list[str]:
    """``command`` wrapped to run inside conda environment ``name`` (see :func:`resolve_env`)."""
    return resolve_env(name).argv(command)
