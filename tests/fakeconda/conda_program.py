"""The stand-in's ``bin/conda``: conda's command-line contract, nothing behind it.

conda cannot be installed on the test machines (no package, no network to its CDN), so the
tests run against this program instead. It honours what our code and 0.4.5's rely on, with
conda's real output formats and messages:

* ``conda --version``; ``conda info --base``; ``conda info --json`` (``root_prefix``,
  ``conda_prefix``, ``envs``, ``envs_dirs``, ``active_prefix`` ...); ``conda info --envs``
  and ``conda env list`` (text or ``--json`` -> ``{"envs": [...]}``);
* ``conda shell.posix activate ENV`` / ``deactivate`` / ``hook`` (what ``conda.sh``'s shell
  function evaluates), by name, by path, and ``base``, with conda's errors for a missing env;
* ``conda activate`` run as a program (no shell function): ``Run 'conda init' before 'conda
  activate'``;
* anything else: an argparse usage error, exit 2, as conda's own parser does.

Environments: the base prefix, ``<base>/envs/*`` and ``~/.conda/envs/*`` that contain
``conda-meta/``, plus the prefixes listed in ``~/.conda/environments.txt`` (``conda create -p``).
Its location gives the base: ``<base>/bin/conda`` (``condabin/conda`` is a symlink to it).
``FAKECONDA_LOG``, if set, names a file that gets one line per invocation (argv), so tests can
count calls.
"""

import json
import os
import sys

BASE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
VERSION = "24.7.1"
COMMANDS = (
    "clean compare config create info init install list notices package remove rename run "
    "search update upgrade doctor env activate deactivate"
).split()


def fail(kind, message, code=1):
    sys.stderr.write(f"\n{kind}: {message}\n\n")
    sys.exit(code)


def usage_error(message):
    sys.stderr.write(f"usage: conda [-h] [-v] [--no-plugins] [-V] COMMAND ...\nconda: error: {message}\n")
    sys.exit(2)


def is_env(path):
    return os.path.isdir(os.path.join(path, "conda-meta"))


def envs_dirs():
    return [os.path.join(BASE, "envs"), os.path.join(os.path.expanduser("~"), ".conda", "envs")]


def all_envs():
    found = [BASE]
    for directory in envs_dirs():
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        found += [os.path.join(directory, n) for n in names if is_env(os.path.join(directory, n))]
    registry = os.path.join(os.path.expanduser("~"), ".conda", "environments.txt")
    try:
        with open(registry, encoding="utf-8") as handle:
            extra = [line.strip() for line in handle if line.strip()]
    except OSError:
        extra = []
    for path in extra:
        path = os.path.normpath(path)
        if path not in found and is_env(path):
            found.append(path)
    return found


def env_name(prefix):
    if prefix == BASE:
        return "base"
    if os.path.dirname(prefix) in envs_dirs():
        return os.path.basename(prefix)
    return ""


def locate(spec):
    """The prefix ``conda activate SPEC`` means, or conda's error."""
    if spec == "base":
        return BASE
    if "/" in spec:
        path = os.path.abspath(os.path.expanduser(spec))
        if not os.path.exists(path):
            fail("EnvironmentLocationNotFound", f"Not a conda environment: {path}")
        if not is_env(path):
            fail(
                "DirectoryNotACondaEnvironmentError",
                "The target directory exists, but it is not a conda environment.\n"
                "Use 'conda create' to convert the directory to a conda environment.\n"
                f"  target directory: {path}",
            )
        return path
    for directory in envs_dirs():
        candidate = os.path.join(directory, spec)
        if is_env(candidate):
            return candidate
    fail(
        "EnvironmentNameNotFound",
        f"Could not find conda environment: {spec}\n"
        "You can list all discoverable environments with `conda info --envs`.",
    )
    return ""  # unreachable


def quote(value):
    return "'" + value.replace("'", "'\"'\"'") + "'"


def common_exports():
    return [
        f"export CONDA_EXE={quote(os.path.join(BASE, 'bin', 'conda'))}",
        "export _CE_M=''",
        "export _CE_CONDA=''",
        f"export CONDA_PYTHON_EXE={quote(os.path.join(BASE, 'bin', 'python'))}",
    ]


def without_prefix(path_value, prefix):
    if not prefix:
        return path_value.split(":") if path_value else []
    return [p for p in (path_value.split(":") if path_value else []) if p != os.path.join(prefix, "bin")]


def scripts(prefix, kind):
    directory = os.path.join(prefix, "etc", "conda", f"{kind}.d")
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".sh"))
    except OSError:
        return []
    return [f". {quote(os.path.join(directory, n))}" for n in names]


def shell_activate(args):
    spec = args[0] if args else "base"
    prefix = locate(spec)
    old = os.environ.get("CONDA_PREFIX", "")
    level = int(os.environ.get("CONDA_SHLVL", "0") or 0)
    lines = []
    if old:
        lines += scripts(old, "deactivate")
    name = spec if (spec == "base" or "/" not in spec) else prefix
    path = [os.path.join(prefix, "bin"), *without_prefix(os.environ.get("PATH", ""), old)]
    lines += [
        f'PS1={quote("(" + (env_name(prefix) or prefix) + ") ")}"${{PS1:-}}"',
        f"export PATH={quote(':'.join(path))}",
        f"export CONDA_PREFIX={quote(prefix)}",
        f"export CONDA_SHLVL='{level + 1}'",
        f"export CONDA_DEFAULT_ENV={quote(name)}",
        f"export CONDA_PROMPT_MODIFIER={quote('(' + (env_name(prefix) or prefix) + ') ')}",
    ]
    if old:
        lines.append(f"export CONDA_PREFIX_{level}={quote(old)}")
    lines += common_exports()
    lines += scripts(prefix, "activate")
    sys.stdout.write("\n".join(lines) + "\n")


def shell_deactivate():
    old = os.environ.get("CONDA_PREFIX", "")
    level = int(os.environ.get("CONDA_SHLVL", "0") or 0)
    if not old or level <= 0:
        return
    lines = scripts(old, "deactivate")
    path = without_prefix(os.environ.get("PATH", ""), old)
    previous = os.environ.get(f"CONDA_PREFIX_{level - 1}", "")
    if previous:
        path = [os.path.join(previous, "bin"), *path]
        lines += [
            f"export CONDA_PREFIX={quote(previous)}",
            f"export CONDA_DEFAULT_ENV={quote(env_name(previous) or previous)}",
            f"unset CONDA_PREFIX_{level - 1}",
        ]
    else:
        lines += ["unset CONDA_PREFIX", "unset CONDA_DEFAULT_ENV", "unset CONDA_PROMPT_MODIFIER"]
    lines += [f"export PATH={quote(':'.join(path))}", f"export CONDA_SHLVL='{level - 1}'"]
    sys.stdout.write("\n".join(lines) + "\n")


def shell_hook():
    with open(os.path.join(BASE, "etc", "profile.d", "conda.sh"), encoding="utf-8") as handle:
        sys.stdout.write(handle.read())
    if not os.path.exists(os.path.join(BASE, ".fakeconda-no-auto-activate")):
        sys.stdout.write("\nconda activate base\n")


def info(args):
    if "--base" in args:
        sys.stdout.write(BASE + "\n")
        return
    envs = all_envs()
    active = os.environ.get("CONDA_PREFIX") or None
    if "--envs" in args or "-e" in args:
        if "--json" in args:
            sys.stdout.write(json.dumps({"envs": envs}, indent=2) + "\n")
        else:
            env_text(envs, active)
        return
    if "--json" in args:
        data = {
            "active_prefix": active,
            "active_prefix_name": env_name(active) if active else None,
            "av_data_dir": os.path.join(BASE, "etc", "conda"),
            "channels": ["https://conda.anaconda.org/conda-forge/linux-64"],
            "conda_build_version": "not installed",
            "conda_env_version": VERSION,
            "conda_location": os.path.join(BASE, "lib", "python3.11", "site-packages", "conda"),
            "conda_prefix": BASE,
            "conda_version": VERSION,
            "config_files": [],
            "default_prefix": active or BASE,
            "envs": envs,
            "envs_dirs": envs_dirs(),
            "pkgs_dirs": [os.path.join(BASE, "pkgs")],
            "platform": "linux-64",
            "python_version": "3.11.9.final.0",
            "root_prefix": BASE,
            "root_writable": os.access(BASE, os.W_OK),
            "sys.executable": os.path.join(BASE, "bin", "python"),
            "sys.prefix": BASE,
            "user_agent": f"conda/{VERSION} fakeconda",
        }
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return
    sys.stdout.write(
        f"\n     active environment : {env_name(active) if active else None}\n"
        f"       conda version : {VERSION}\n"
        f"    base environment : {BASE}  ({'writable' if os.access(BASE, os.W_OK) else 'read only'})\n\n"
    )


def env_text(envs, active):
    lines = ["# conda environments:", "#"]
    for prefix in envs:
        mark = "*" if prefix == active else " "
        lines.append(f"{(env_name(prefix) or ''):<25}{mark}  {prefix}")
    sys.stdout.write("\n".join(lines) + "\n\n")


def main(argv):
    log = os.environ.get("FAKECONDA_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(argv) + "\n")
    if not argv:
        usage_error("the following arguments are required: COMMAND")
    head, args = argv[0], argv[1:]
    if head in ("-V", "--version"):
        sys.stdout.write(f"conda {VERSION}\n")
        return
    if head in ("shell.posix", "shell.bash", "shell.sh"):
        if not args:
            usage_error("argument COMMAND: expected activate, deactivate, hook, reactivate")
        if args[0] == "activate":
            shell_activate(args[1:])
        elif args[0] == "deactivate":
            shell_deactivate()
        elif args[0] == "hook":
            shell_hook()
        elif args[0] == "reactivate":
            return
        else:
            usage_error(f"argument COMMAND: invalid choice: {args[0]!r}")
        return
    if head in ("activate", "deactivate"):
        fail(
            "CondaError",
            f"Run 'conda init' before 'conda {head}'",
        )
    if head == "info":
        info(args)
        return
    if head == "env" and args[:1] == ["list"]:
        envs = all_envs()
        if "--json" in args[1:]:
            sys.stdout.write(json.dumps({"envs": envs}, indent=2) + "\n")
        else:
            env_text(envs, os.environ.get("CONDA_PREFIX") or None)
        return
    if head not in COMMANDS:
        choices = ", ".join(repr(c) for c in COMMANDS)
        usage_error(f"argument COMMAND: invalid choice: {head!r} (choose from {choices})")
    fail("NotImplementedError", f"the conda stand-in does not implement 'conda {' '.join(argv)}'")


if __name__ == "__main__":
    main(sys.argv[1:])
