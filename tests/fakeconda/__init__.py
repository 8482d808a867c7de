"""Build a conda stand-in installation for the tests (conda cannot be installed here).

``build(home)`` creates ``<home>/miniforge3`` (or ``miniconda3`` ...) with what a real
installation offers to the outside:

* ``bin/conda`` (conda_program.py, see its docstring for the commands it honours) and
  ``condabin/conda``; ``bin/python`` (a link to /usr/bin/python3);
* ``etc/profile.d/conda.sh``, defining the ``conda`` shell function whose ``conda activate
  ENV`` evaluates ``conda shell.posix activate ENV`` (PATH, CONDA_PREFIX, CONDA_DEFAULT_ENV,
  CONDA_SHLVL, activate.d scripts) and fails with conda's message for a missing env;
* ``conda-meta/`` in the base and in each ``envs/<name>/`` (that is what makes conda call a
  directory an environment), with ``envs/<name>/bin/``;
* on request, the ``# >>> conda initialize >>>`` block that ``conda init bash`` appends to
  ``~/.bashrc``, and prefix environments registered in ``~/.conda/environments.txt``.

Everything is plain files under ``home``; ``owner=`` chowns them (for a tree used over SSH by
the svc account). ``python -m fakeconda HOME [--flavour F] [--env NAME]... [--bashrc]`` does
the same from a shell.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shlex
import sys

PROGRAM = pathlib.Path(__file__).with_name("conda_program.py")
PYTHON = "/usr/bin/python3"  # the svc account can run it (the pyenv Python lives under /root)

CONDA_SH = """\
# conda.sh of the conda stand-in used by the remote-http-launcher tests. Same contract as
# conda's own: defines the `conda` shell function; `conda activate ENV` evaluates what
# `conda shell.posix activate ENV` prints, other subcommands run the conda program.
export CONDA_EXE={exe}
export _CE_M=''
export _CE_CONDA=''
export CONDA_PYTHON_EXE={python}

__conda_exe() (
    "$CONDA_EXE" $_CE_M $_CE_CONDA "$@"
)

__conda_activate() {{
    local ask_conda
    ask_conda="$(PS1="${{PS1:-}}" __conda_exe shell.posix "$@")" || return
    eval "$ask_conda"
    hash -r
}}

conda() {{
    local cmd="${{1-__missing__}}"
    case "$cmd" in
        activate|deactivate)
            __conda_activate "$@"
            ;;
        *)
            __conda_exe "$@"
            ;;
    esac
}}

if [ -z "${{CONDA_SHLVL+x}}" ]; then
    export CONDA_SHLVL=0
    PATH={condabin}"${{PATH:+":${{PATH}}"}}"
    export PATH
    if [ -z "${{PS1+x}}" ]; then
        PS1=
    fi
fi
"""

BASHRC_BLOCK = """\
# >>> conda initialize >>>
# !! Contents within this block are managed by 'conda init' !!
__conda_setup="$({exe_q} 'shell.bash' 'hook' 2> /dev/null)"
if [ $? -eq 0 ]; then
    eval "$__conda_setup"
else
    if [ -f "{conda_sh}" ]; then
        . "{conda_sh}"
    else
        export PATH="{bin}:$PATH"
    fi
fi
unset __conda_setup
# <<< conda initialize <<<
"""


class FakeConda:
    """One stand-in installation at ``<home>/<flavour>``."""

    def __init__(self, home: pathlib.Path, flavour: str = "miniforge3", owner: tuple[int, int] | None = None):
        self.home = pathlib.Path(home)
        self.base = self.home / flavour
        self.owner = owner
        self.exe = self.base / "bin" / "conda"
        self.conda_sh = self.base / "etc" / "profile.d" / "conda.sh"

    # ------------------------------------------------------------------ building

    def install(self, *, auto_activate_base: bool = True) -> FakeConda:
        for sub in ("bin", "condabin", "conda-meta", "envs", "etc/profile.d", "pkgs"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        (self.base / "conda-meta" / "history").write_text("==> fake conda base <==\n")
        self.exe.write_text(f"#!{PYTHON}\n" + PROGRAM.read_text())
        self.exe.chmod(0o755)
        for link, target in (
            (self.base / "condabin" / "conda", "../bin/conda"),
            (self.base / "bin" / "python", PYTHON),
        ):
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(target)
        self.conda_sh.write_text(
            CONDA_SH.format(
                exe=shlex.quote(str(self.exe)),
                python=shlex.quote(str(self.base / "bin" / "python")),
                condabin=shlex.quote(str(self.base / "condabin")),
            )
        )
        marker = self.base / ".fakeconda-no-auto-activate"
        if auto_activate_base:
            marker.unlink(missing_ok=True)
        else:
            marker.write_text("")
        self._chown()
        return self

    def create_env(self, name: str, *, executables: dict[str, str] | None = None) -> pathlib.Path:
        """``conda create -n NAME``: ``envs/NAME`` with ``conda-meta/`` and ``bin/``.

        ``executables`` maps file names in ``bin/`` to shell script bodies (``#!/bin/sh`` is
        added), e.g. ``{"whichenv": 'echo "$CONDA_DEFAULT_ENV"'}``.
        """
        return self.create_prefix(self.base / "envs" / name, executables=executables, register=False)

    def create_prefix(
        self, prefix: pathlib.Path, *, executables: dict[str, str] | None = None, register: bool = True
    ) -> pathlib.Path:
        """``conda create -p PREFIX``: an environment anywhere, registered in
        ``~/.conda/environments.txt`` as conda does."""
        prefix = pathlib.Path(prefix)
        (prefix / "conda-meta").mkdir(parents=True, exist_ok=True)
        (prefix / "conda-meta" / "history").write_text(f"==> fake env {prefix.name} <==\n")
        (prefix / "bin").mkdir(exist_ok=True)
        for name, body in (executables or {}).items():
            path = prefix / "bin" / name
            path.write_text(f"#!/bin/sh\n{body}\n")
            path.chmod(0o755)
        if register:
            registry = self.home / ".conda" / "environments.txt"
            registry.parent.mkdir(parents=True, exist_ok=True)
            with registry.open("a", encoding="utf-8") as handle:
                handle.write(f"{prefix}\n")
        self._chown()
        return prefix

    def add_activate_script(self, prefix: pathlib.Path, name: str, body: str) -> pathlib.Path:
        """A script conda sources on activation (``etc/conda/activate.d/NAME.sh``)."""
        directory = pathlib.Path(prefix) / "etc" / "conda" / "activate.d"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.sh"
        path.write_text(body + "\n")
        self._chown()
        return path

    def init_bashrc(self, *, interactive_guard: bool = False) -> pathlib.Path:
        """Append the block ``conda init bash`` writes to ``~/.bashrc``.

        With ``interactive_guard``, the file starts like Debian's skeleton .bashrc (return at
        once when not interactive), so the block never runs in ``ssh HOST CMD`` or ``bash -lc``.
        """
        bashrc = self.home / ".bashrc"
        text = bashrc.read_text() if bashrc.exists() else ""
        if interactive_guard and "case $- in" not in text:
            text = "case $- in\n    *i*) ;;\n      *) return;;\nesac\n" + text
        text += BASHRC_BLOCK.format(
            exe_q=shlex.quote(str(self.exe)), conda_sh=self.conda_sh, bin=self.base / "bin"
        )
        bashrc.write_text(text)
        self._chown()
        return bashrc

    def _chown(self) -> None:
        if self.owner is None:
            return
        uid, gid = self.owner
        for top in (self.base, self.home / ".conda", self.home / ".bashrc"):
            if not top.exists():
                continue
            for path in [top, *(top.rglob("*") if top.is_dir() else [])]:
                os.lchown(path, uid, gid)

    # ------------------------------------------------------------------ use

    def env(self, name: str) -> pathlib.Path:
        return self.base if name == "base" else self.base / "envs" / name


def build(
    home: pathlib.Path | str,
    flavour: str = "miniforge3",
    envs: tuple[str, ...] | list[str] = (),
    *,
    bashrc: bool = False,
    owner: tuple[int, int] | None = None,
    auto_activate_base: bool = True,
) -> FakeConda:
    conda = FakeConda(pathlib.Path(home), flavour, owner).install(auto_activate_base=auto_activate_base)
    for name in envs:
        conda.create_env(name)
    if bashrc:
        conda.init_bashrc()
    return conda


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakeconda", description=__doc__.split("\n")[0])
    parser.add_argument("home", type=pathlib.Path)
    parser.add_argument("--flavour", default="miniforge3")
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("--bashrc", action="store_true")
    parser.add_argument("--user", help="chown the tree to this account")
    args = parser.parse_args(argv)
    owner = None
    if args.user:
        import pwd

        entry = pwd.getpwnam(args.user)
        owner = (entry.pw_uid, entry.pw_gid)
    conda = build(args.home, args.flavour, args.env, bashrc=args.bashrc, owner=owner)
    sys.stdout.write(f"{conda.base}\n")
    return 0
