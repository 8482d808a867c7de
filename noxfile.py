"""Sessions: tests, lint, types, build, docs, seamless, batch, bench, demo. `./dev test` runs
the CI set (`CI_SESSIONS`); `dev` lists the same sessions."""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile

import nox

ROOT = pathlib.Path(__file__).parent
RHL = ROOT / "packages" / "remote-http-launcher"
SCS = ROOT / "packages" / "seamless-config-services"
TEST_DEPS = ["pytest>=8", "pytest-timeout", "hypothesis>=6", "jsonschema"]
#: The real services the tests launch (hashserver imports aiofiles without declaring it).
SERVICES = ["hashserver==1.1.0", "aiofiles", "seamless-database"]

#: The Debian packages the sessions need are installed by the sessions themselves (as root;
#: not root: one line says what to install): README's test command does all its set-up.
ENSURE_PACKAGES = ["python", str(ROOT / "tests" / "batch" / "batch_support.py"), "ensure"]
#: What `./dev test` (and so CI) runs; keep in step with `dev`.
CI_SESSIONS = ["lint", "types", "tests", "build", "docs", "seamless", "batch"]

nox.options.sessions = CI_SESSIONS
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """All tests against the installed (not editable) packages; the client with its mcp extra
    (tests/services/test_mcp.py talks to seamless-service-mcp with the SDK's own client)."""
    session.install(str(RHL), f"{SCS}[mcp]", *TEST_DEPS, *SERVICES)
    if os.getuid() == 0:  # the SSH tests' sshd (without root they are skipped, with a reason)
        session.run(*ENSURE_PACKAGES, "ssh")
    session.run("pytest", *(session.posargs or ["tests"]), env={"PYTHONDONTWRITEBYTECODE": "1"})


@nox.session
def batch(session: nox.Session) -> None:
    """Dask workers as real SLURM and OAR jobs (Debian packages; needs root): tests/batch."""
    requirements = ROOT / "tests" / "batch" / "requirements.txt"
    session.install(str(RHL), str(SCS), *TEST_DEPS, *SERVICES, "-r", str(requirements))
    # Before pytest (whose per-test timeout would cut a first install or build short): the
    # Debian packages, and the real Seamless stack venv of tests/batch/test_seamless_stack.py.
    session.run(*ENSURE_PACKAGES, "ssh", "slurm", "oar")
    session.run("python", str(ROOT / "tests" / "seamless_stack" / "stack_support.py"))
    env = {"PYTHONDONTWRITEBYTECODE": "1", "RHL_BATCH_TESTS": "1"}
    session.run("pytest", *(session.posargs or ["tests/batch"]), env=env)


@nox.session
def seamless(session: nox.Session) -> None:
    """The real Seamless client stack from PyPI (pinned: tests/seamless_stack/requirements.txt),
    our packages installed over it, driven end to end: tests/seamless_stack. The stack venv is
    built by the tests themselves (cached under /var/tmp/rhltest, keyed by the pins and our
    sources), so this session's own venv needs only pytest."""
    session.install(*TEST_DEPS, "PyYAML")
    if os.getuid() == 0:  # the SSH part uses the real sshd
        session.run(*ENSURE_PACKAGES, "ssh")
    # Before pytest (whose per-test timeout would cut a first build short): prints the venv.
    session.run("python", str(ROOT / "tests" / "seamless_stack" / "stack_support.py"))
    env = {"PYTHONDONTWRITEBYTECODE": "1", "RHL_SEAMLESS_TESTS": "1"}
    session.run("pytest", *(session.posargs or ["tests/seamless_stack"]), env=env)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", "packages", "tests", "benchmarks", "noxfile.py")


@nox.session
def types(session: nox.Session) -> None:
    session.install("mypy>=1.10", "types-PyYAML", str(RHL), f"{SCS}[mcp]", "pytest")
    session.run("mypy")


@nox.session
def build(session: nox.Session) -> None:
    """Build both wheels; install each into its own fresh venv and run its commands; then keep
    the wheels in dist/ (what docs/services/install.md installs until they are on PyPI)."""
    session.install("build")
    with tempfile.TemporaryDirectory() as tmp:
        dist = pathlib.Path(tmp) / "dist"
        for package in (RHL, SCS):
            session.run("python", "-m", "build", "--wheel", "--outdir", str(dist), str(package))
        wheels = {p.name.split("-")[0]: p for p in dist.glob("*.whl")}
        session.log(f"built: {sorted(p.name for p in wheels.values())}")
        server = pathlib.Path(tmp) / "server-venv"
        session.run("python", "-m", "venv", str(server))
        session.run(
            str(server / "bin" / "pip"), "install", "-q", str(wheels["remote_http_launcher"]), external=True
        )
        session.run("python", str(ROOT / "tests" / "smoke_installed.py"), str(server / "bin"), "server")
        client = pathlib.Path(tmp) / "client-venv"
        session.run("python", "-m", "venv", str(client))
        # Both local wheels explicitly: PyPI also has a remote-http-launcher (the reference).
        session.run(
            str(client / "bin" / "pip"),
            "install",
            "-q",
            str(wheels["remote_http_launcher"]),
            str(wheels["seamless_config_services"]),
            external=True,
        )
        session.run("python", str(ROOT / "tests" / "smoke_installed.py"), str(client / "bin"), "client")
        kept = ROOT / "dist"
        kept.mkdir(exist_ok=True)
        for old in kept.glob("*.whl"):
            if old.name.split("-")[0] in wheels:
                old.unlink()
        for wheel in wheels.values():
            shutil.copy2(wheel, kept / wheel.name)
        session.log(f"kept: {', '.join(str(kept / p.name) for p in wheels.values())}")


@nox.session
def docs(session: nox.Session) -> None:
    """Docs checks: every command's reference page matches its --help, every hook is documented."""
    session.install(str(RHL), str(SCS), *TEST_DEPS)
    session.run("pytest", "tests/test_docs.py")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the reference implementation, in one run, then the many-hosts
    fan-out (see benchmarks/README.md): every figure with its target. Arguments go to
    run.py (``./dev bench --runs 30 --only ps-json``); with ``--only`` the many-hosts part is
    left out unless ``--only many-hosts`` is among them."""
    session.install(str(RHL), str(SCS), "pytest")  # pytest: tests/sshd_support.py's helpers
    args = list(session.posargs)
    selective = "--only" in args
    many_hosts = not selective or "many-hosts" in args
    while "many-hosts" in args:
        at = args.index("many-hosts")
        del args[at - 1 : at + 1]
    if not selective or "--only" in args:
        session.run("python", str(ROOT / "benchmarks" / "run.py"), *args)
    if many_hosts:
        session.run("python", str(ROOT / "benchmarks" / "many_hosts.py"))


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: a real service lifecycle on an embedded default."""
    session.install(str(RHL), str(SCS), *SERVICES)
    env = {"PATH": f"{session.bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    session.run("bash", str(ROOT / "scripts" / "demo.sh"), env=env, external=True)
