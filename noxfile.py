"""Sessions: tests, lint, types, build, docs, batch, bench, demo. `./dev test` runs the CI set."""

from __future__ import annotations

import os
import pathlib
import tempfile

import nox

ROOT = pathlib.Path(__file__).parent
RHL = ROOT / "packages" / "remote-http-launcher"
SCS = ROOT / "packages" / "seamless-config-services"
TEST_DEPS = ["pytest>=8", "pytest-timeout", "hypothesis>=6", "jsonschema"]
#: The real services the tests launch (hashserver imports aiofiles without declaring it).
SERVICES = ["hashserver==1.1.0", "aiofiles", "seamless-database"]

nox.options.sessions = ["lint", "types", "tests", "build", "docs", "batch"]
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """All tests against the installed (not editable) packages."""
    session.install(str(RHL), str(SCS), *TEST_DEPS, *SERVICES)
    session.run("pytest", *(session.posargs or ["tests"]), env={"PYTHONDONTWRITEBYTECODE": "1"})


@nox.session
def batch(session: nox.Session) -> None:
    """Dask workers as real SLURM and OAR jobs (Debian packages; needs root): tests/batch."""
    requirements = ROOT / "tests" / "batch" / "requirements.txt"
    session.install(str(RHL), str(SCS), *TEST_DEPS, *SERVICES, "-r", str(requirements))
    env = {"PYTHONDONTWRITEBYTECODE": "1", "RHL_BATCH_TESTS": "1"}
    session.run("pytest", *(session.posargs or ["tests/batch"]), env=env)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", "packages", "tests", "benchmarks", "noxfile.py")


@nox.session
def types(session: nox.Session) -> None:
    session.install("mypy>=1.10", "types-PyYAML", str(RHL), str(SCS), "pytest")
    session.run("mypy")


@nox.session
def build(session: nox.Session) -> None:
    """Build both wheels; install each into its own fresh venv and run its commands."""
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


@nox.session
def docs(session: nox.Session) -> None:
    """Docs checks: every command's reference page matches its --help, every hook is documented."""
    session.install(str(RHL), str(SCS), *TEST_DEPS)
    session.run("pytest", "tests/test_docs.py")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the reference implementation, in one run (see benchmarks/README.md)."""
    session.install(str(RHL), str(SCS))
    session.run("python", str(ROOT / "benchmarks" / "run.py"), *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: a real service lifecycle on an embedded default."""
    session.install(str(RHL), str(SCS), *SERVICES)
    env = {"PATH": f"{session.bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    session.run("bash", str(ROOT / "scripts" / "demo.sh"), env=env, external=True)
