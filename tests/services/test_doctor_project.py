"""seamless-service-doctor on a local cluster: the whole project, honest wording, safe output.

Issue 14 point 5 (every stage of the selection is checked; no template with an empty slot,
no evidence that names one command and quotes another, no internal class names, no error
printed twice), point 4 (the exit record: an idle exit is information), issue 13 point 15
(no terminal control sequence from a log reaches the terminal) and point 9 (a log with one
huge line is read as a bounded tail).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from project_support import Project, put_buffer

from conftest import _kill_leftovers, find_command, pid_exists, wait_gone

HS = "hashserver-here-rw-myproj"
DB = "database-here-rw-myproj"


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    project = Project(tmp_path)  # the profile selects the local cluster: no SSH at all
    yield project
    _kill_leftovers(project.state / "server")


def doctor(project: Project, *args: str, timeout: float = 120) -> tuple[int, dict[str, Any]]:
    from test_doctor import VALIDATOR  # the published schema, seamless-service-doctor/1

    result = project.run("seamless-service-doctor", "--json", *args, timeout=timeout)
    assert result.stderr == "", result.stderr
    document = json.loads(result.stdout)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]
    assert errors == [], errors
    assert result.returncode == document["exit_code"]
    return result.returncode, document


def findings(document: dict[str, Any], check_id: str) -> dict[str, dict[str, Any]]:
    check = next(c for c in document["checks"] if c["id"] == check_id)
    return {f["subject"]: f for f in check["findings"]}


def server_file(project: Project, key: str) -> pathlib.Path:
    return project.state / "server" / f"{key}.json"


def fake_service(project: Project, name: str, body: str) -> None:
    """A fake ``name`` executable first on the services' PATH."""
    bin_dir = project.tmp / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text("#!" + sys.executable + "\n" + body)
    script.chmod(0o755)
    project.env["PATH"] = f"{bin_dir}{os.pathsep}{project.env['PATH']}"


# -- 14.5: the whole project ------------------------------------------------------------------


def test_without_stage_every_stage_of_the_project_is_checked(project: Project) -> None:
    project.start("hashserver", "--stage", "old")
    old = f"{HS}--STAGE-old"
    project.ok("seamless-service-stop", "--service", "hashserver", "--stage", "old")
    broken = f"{DB}--STAGE-broken"
    server_file(project, broken).write_text("{not json")
    ps = project.ok("seamless-service-ps", "--server").stdout
    assert "corrupt" in ps and "stale" in ps

    code, document = doctor(project)
    services = findings(document, "services")
    assert code == 2, json.dumps(document, indent=1)
    assert services[broken]["verdict"] == "problem"
    assert services[broken]["message"].startswith("its state file is corrupt: ")
    assert services[old]["verdict"] == "warning"
    assert services[old]["message"] == "stale: stopped, its state file is kept for post-mortem"
    assert services[old]["next_step"].endswith(
        "seamless-service-rm --service hashserver --cluster here --project myproj --stage old; "
        "the next run launches it afresh"
    )
    assert set(document["selection"]["keys"]) >= {HS, DB, old, broken}
    text = project.run("seamless-service-doctor")
    assert text.returncode == 2 and text.stdout.splitlines()[-1] == "Verdict: PROBLEM (exit 2)"

    # --stage narrows the check to that stage: the other stages are not looked at.
    code, document = doctor(project, "--stage", "old")
    assert code == 1, json.dumps(document, indent=1)
    assert set(findings(document, "services")) == {old, f"{DB}--STAGE-old"}


def test_without_stage_the_cached_data_of_every_stage_is_judged(project: Project) -> None:
    """A stage whose state was removed still has its cached data: a false-pass risk of the
    project that the doctor reports without --stage."""
    staged = project.start("hashserver", "--stage", "s2")
    put_buffer(staged["port"], b"a result of stage s2")
    project.ok("seamless-service-stop", "--service", "hashserver", "--stage", "s2")
    project.ok("seamless-service-rm", "--service", "hashserver", "--stage", "s2")
    code, document = doctor(project)
    assert code == 1, json.dumps(document, indent=1)
    data = findings(document, "false-pass")[f"{HS}--STAGE-s2"]
    assert data["verdict"] == "warning" and data["details"]["state"] == "populated"
    assert data["details"]["path"] == str(project.local_buffers / "myproj" / "STAGE-s2")
    assert (
        "seamless-service-clear --service hashserver --cluster here --project myproj --stage s2"
        in (data["next_step"])
    )
    assert findings(document, "false-pass")[HS]["verdict"] == "ok"  # the default stage: cold
    code, document = doctor(project, "--stage", "other")
    assert code == 0 and f"{HS}--STAGE-s2" not in findings(document, "false-pass")


def test_evidence_names_the_command_that_printed_it(project: Project) -> None:
    project.start("hashserver")
    project.ok("seamless-service-stop", "--service", "hashserver")
    code, document = doctor(project)
    assert code == 1, json.dumps(document, indent=1)
    stopped = findings(document, "services")[HS]
    (evidence,) = stopped["evidence"]
    assert evidence["command"] == "rhl-ps --json"
    listed = subprocess.run(
        [find_command("rhl-ps"), "--json"], env=project.env, capture_output=True, text=True, timeout=60
    )
    row = next(r for r in map(json.loads, listed.stdout.splitlines()) if r["key"] == HS)
    for name, value in json.loads(evidence["excerpt"]).items():
        assert row[name] == value, name
    assert stopped["next_step"].startswith("read its log if it misbehaved (check 3)")
    # The false-pass evidence is what rhl-ps-persistent printed, under its own name.
    data = findings(document, "false-pass")[HS]
    assert data["evidence"][0]["command"].startswith("rhl-ps-persistent ")
    assert json.loads(data["evidence"][0]["excerpt"].splitlines()[0])["state"] == "empty"


def test_an_unclassified_traceback_reads_as_a_sentence_and_a_failed_start_says_it_once(
    project: Project,
) -> None:
    fake_service(
        project,
        "hashserver",
        "print('starting', flush=True)\nraise ValueError('bad buffer directory layout')\n",
    )
    started = project.run("seamless-service-start", "--service", "hashserver")
    assert started.returncode == 1 and started.stdout == ""
    assert started.stderr.count("did not become ready") == 1, started.stderr
    assert "LocalExecutor" not in started.stderr
    assert "ValueError: bad buffer directory layout" in started.stderr

    code, document = doctor(project)
    assert code == 2
    log = findings(document, "logs")[HS]
    assert log["details"]["classification"]["id"] == "unclassified-traceback"
    assert "fix in read" not in log["message"]
    assert log["message"] == (
        "ValueError: bad buffer directory layout -> an error that is not in the table; "
        "fix in the package that the traceback's innermost frame names (hashserver or a dependency)"
    )


# -- 13.15: no control sequence reaches the terminal ------------------------------------------


def test_control_sequences_from_a_log_are_escaped(project: Project) -> None:
    fake_service(
        project,
        "hashserver",
        "import sys\n"
        "sys.stdout.write('\\x1b]0;PWNED TITLE\\x07\\x1b[31mred\\x1b[0m \\x9b2J bell\\x07 ok\\n')\n"
        "sys.stdout.flush()\n"
        "raise ValueError('title \\x1b]0;AGAIN\\x07 set')\n",
    )
    project.run("seamless-service-start", "--service", "hashserver")
    text = project.run("seamless-service-doctor")
    assert text.returncode == 2
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout and "\x9b" not in text.stdout
    assert "\\x1b]0;AGAIN\\x07" in text.stdout  # shown, escaped: the reader sees what is there
    printable = set(range(0x20, 0x7F)) | {0x0A}
    assert {ord(c) for c in text.stdout if ord(c) < 0x80} <= printable
    # The JSON keeps the text as it is (JSON escapes it); only the terminal output is escaped.
    _code, document = doctor(project)
    assert "\x1b]0;AGAIN\x07" in findings(document, "logs")[HS]["message"]


# -- 13.9: a bounded tail ---------------------------------------------------------------------


def test_a_log_with_one_huge_line_is_read_as_a_bounded_tail(project: Project) -> None:
    project.start("hashserver")
    project.ok("seamless-service-stop", "--service", "hashserver")
    log = project.state / "server" / f"{HS}.log"
    with log.open("ab") as handle:
        chunk = b"x" * (1 << 20)
        for _ in range(100):  # one 100 MB line
            handle.write(chunk)
        handle.write(b"\nValueError: after the long line\n")
    # A fresh parent whose only child is the doctor: its peak memory, not this session's.
    measure = (
        "import resource, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)\n"
        "sys.stderr.write(p.stderr)\n"
        "print(p.returncode, time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stdout.write(p.stdout)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", measure, find_command("seamless-service-doctor"), "--json"],
        cwd=project.dir,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.stderr == "", proc.stderr
    first, out = proc.stdout.split("\n", 1)
    code, elapsed, maxrss = first.split()
    document = json.loads(out)
    assert int(code) == 1, json.dumps(document, indent=1)[:2000]
    assert float(elapsed) < 15, elapsed
    assert int(maxrss) < 200 * 1024, maxrss  # KiB: far below the 100 MB line
    excerpt = findings(document, "logs")[HS]["evidence"][0]["excerpt"]
    assert excerpt.endswith("...\nValueError: after the long line"), excerpt[-300:]
    log_finding = findings(document, "logs")[HS]
    assert len(json.dumps(log_finding)) < 20000


# -- 14.4: the exit record --------------------------------------------------------------------


def _stale_state(project: Project, key: str, exit_record: dict[str, Any] | None) -> None:
    """A state file as the launcher leaves it after the service's exit (pid gone)."""
    data = json.loads(server_file(project, key).read_text())
    gone = subprocess.Popen(["true"])
    gone.wait()
    data.update(status="stale", pid=gone.pid)
    if exit_record is not None:
        data["exit"] = exit_record
    server_file(project, key).write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("record", "verdict", "message"),
    [
        (
            {"reason": "idle", "code": 0, "signal": None, "at": 1.0, "inferred": False},
            "ok",
            "exited after its idle timeout (its own --timeout 600: no request for 600 s); "
            "it is started again on demand",
        ),
        (
            {"reason": "exited", "code": 3, "signal": None, "at": 1.0, "inferred": False},
            "problem",
            "stale: it exited on its own with status 3 (not stopped by us)",
        ),
        (
            {"reason": "killed", "code": None, "signal": 9, "at": 1.0, "inferred": False},
            "problem",
            "stale: it was killed by signal 9 (SIGKILL), not by us",
        ),
        (
            {"reason": "stopped", "code": None, "signal": 2, "at": 1.0, "inferred": False},
            "warning",
            "stale: stopped, its state file is kept for post-mortem",
        ),
    ],
    ids=["idle", "exited", "killed", "stopped"],
)
def test_the_exit_record_says_why_a_service_is_gone(
    project: Project, record: dict[str, Any], verdict: str, message: str
) -> None:
    hs = project.start("hashserver")
    pid = project.server_state(HS, remote=False)["pid"]
    project.ok("seamless-service-stop", "--service", "hashserver")
    assert wait_gone(pid)
    assert not pid_exists(pid)
    _stale_state(project, HS, record)
    code, document = doctor(project)
    found = findings(document, "services")[HS]
    assert (found["verdict"], found["message"]) == (verdict, message), json.dumps(found, indent=1)
    assert found["details"]["exit"] == record
    if record["reason"] == "idle":
        assert found["next_step"] == (
            "nothing to fix: the next run starts it again (or seamless-service-start --service "
            "hashserver --cluster here --project myproj); to keep it longer, see the idle timeout "
            "in docs/services/guide.md"
        )
        assert code == 0, json.dumps(document, indent=1)
        assert findings(document, "logs")[HS]["verdict"] == "ok"
    assert hs["port"]


# -- 15.4: a local fix is not a live fix ------------------------------------------------------

#: A tiny stand-in for the hashserver: the status-file protocol and a healthcheck, stdlib only.
TINY_SERVICE = """
import argparse, json, os, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--status-file", required=True)
    parser.add_argument("--port-range", nargs=2, type=int)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--timeout", type=float)
    parser.add_argument("--writable", action="store_true")
    args = parser.parse_args()
    for _ in range(400):
        try:
            with open(args.status_file) as handle:
                data = json.load(handle)
            break
        except (OSError, ValueError):
            time.sleep(0.05)
    for port in range(args.port_range[0], args.port_range[1] + 1):
        try:
            server = HTTPServer((args.host, port), Handler)
            break
        except OSError:
            continue
    data.update(port=port, status="running")
    with open(args.status_file + ".tmp", "w") as handle:
        json.dump(data, handle)
    os.replace(args.status_file + ".tmp", args.status_file)
    print("tinysvc: serving", flush=True)
    server.serve_forever()
"""


#: A PEP 660 build backend in a few lines, stdlib only: ``pip install -e`` offline needs no
#: ``wheel`` package (setuptools 66 without it cannot build an editable wheel). pip itself
#: installs what it builds: the ``.pth`` file, the console script and PEP 610's
#: ``direct_url.json`` with ``dir_info.editable``.
TINY_BACKEND = """
import base64, hashlib, os, zipfile

NAME, VERSION = "tinysvc", "0.1"
DIST = f"{NAME}-{VERSION}.dist-info"
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
FILES = {
    f"__editable__.{NAME}-{VERSION}.pth": SOURCE + "\\n",
    f"{DIST}/METADATA": f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n",
    f"{DIST}/WHEEL": "Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    f"{DIST}/entry_points.txt": "[console_scripts]\\nhashserver = tinysvc:main\\n",
}


def _record(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    wheel = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as archive:
        records = []
        for name, text in FILES.items():
            archive.writestr(name, text)
            records.append(_record(name, text.encode()))
        archive.writestr(f"{DIST}/RECORD", "\\n".join(records + [f"{DIST}/RECORD,,"]) + "\\n")
    return wheel


def get_requires_for_build_editable(config_settings=None):
    return []
"""


def editable_install(root: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A venv (``/usr/bin/python3 -m venv``) with the tiny package ``tinysvc`` installed by a
    real ``pip install --no-index --no-build-isolation -e`` from ``root/pkg``; its console
    script ``hashserver`` is a minimal HTTP service the launcher starts. Returns (venv, the
    project directory the editable install points to)."""
    package = root / "pkg"
    (package / "src" / "tinysvc").mkdir(parents=True)
    (package / "src" / "tinysvc" / "__init__.py").write_text(TINY_SERVICE)
    (package / "tinybackend.py").write_text(TINY_BACKEND)
    (package / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "tinybackend"\nbackend-path = ["."]\n'
    )
    venv = root / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "--no-index",
         "--no-build-isolation", "-e", str(package)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    (site,) = venv.glob("lib/python3*/site-packages")
    direct = json.loads((site / "tinysvc-0.1.dist-info" / "direct_url.json").read_text())
    assert direct == {"url": package.as_uri(), "dir_info": {"editable": True}}  # pip wrote it
    return venv, package


def test_a_service_from_another_environment_is_reported(project: Project) -> None:
    """A real editable install in another venv runs the hashserver: the doctor asks the
    server side (``rhl-inspect --runtime``), reports the editable install and where it
    points, and warns that it is not this client's environment."""
    venv, package = editable_install(project.tmp / "tiny")
    project.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{project.env['PATH']}"
    project.start("hashserver")
    pid = project.server_state(HS, remote=False)["pid"]
    code, document = doctor(project)
    assert code == 1, json.dumps(document, indent=1)
    runtime = findings(document, "services")[f"{HS} (runtime)"]
    assert runtime["verdict"] == "warning"
    details = runtime["details"]
    python = venv / "bin" / "python3"  # the console script's #! line, as pip wrote it
    assert details["pid"] == pid and details["host"] == "localhost"
    assert details["argv"][:2] == [str(python), str(venv / "bin" / "hashserver")]
    assert details["exe"] == os.path.realpath(python) and details["interpreter"] == str(python)
    service, client = details["service_environment"], details["client_environment"]
    assert (service["distribution"], service["version"], service["editable"]) == ("tinysvc", "0.1", True)
    assert service["location"] == str(package) and service["prefix"] == str(venv)
    assert client["prefix"] == sys.prefix and client["distribution"] == "hashserver"
    assert runtime["message"] == (
        f"runs {python} {venv}/bin/hashserver (tinysvc 0.1 (editable: {package}) in {venv}), "
        f"not what this client has: the service's environment is {venv}, this client's is {sys.prefix}; "
        f"hashserver is tinysvc 0.1 (editable: {package}) for the service, "
        f"{client['distribution']} {client['version']} for this client"
    )
    assert runtime["next_step"] == (
        f"a fix in this client's environment is not live for the service: install it into {venv} "
        f"({service['executable']} -m pip install ...), then seamless-service-restart --service "
        "hashserver --cluster here --project myproj"
    )
    (evidence,) = runtime["evidence"]
    assert evidence["command"] == f"rhl-inspect --runtime {HS}" and evidence["exit_code"] == 0
    assert evidence["excerpt"].splitlines()[:4] == [
        f"pid: {pid}",
        f'exe: "{os.path.realpath(python)}"',
        f'interpreter: "{python}"',
        'command: "hashserver"',
    ]
    text = project.run("seamless-service-doctor")
    assert f"{HS} (runtime)" in text.stdout and f"tinysvc 0.1 (editable: {package})" in text.stdout


def test_a_service_from_this_environment_is_ok(project: Project) -> None:
    project.start("hashserver")
    code, document = doctor(project)
    assert code == 0, json.dumps(document, indent=1)
    runtime = findings(document, "services")[f"{HS} (runtime)"]
    assert runtime["verdict"] == "ok"
    version = runtime["details"]["service_environment"]["version"]
    assert runtime["message"].endswith(
        f"(hashserver {version} in {sys.prefix}): the same environment as this client"
    )
    assert runtime["evidence"][0]["command"] == f"rhl-inspect --runtime {HS}"


def test_a_real_idle_exit_is_information(project: Project) -> None:
    """A service that ends after its own --timeout: the supervisor records it, ps says stale,
    the doctor says why and that nothing needs fixing (exit 0)."""
    fake_service(  # a hashserver whose idle limit is short: the example service's --timeout
        project,
        "hashserver",
        "import sys\n"
        "from remote_http_launcher import example_service\n"
        "args = sys.argv[1:]\n"
        "status, ports = args[args.index('--status-file') + 1], args[args.index('--port-range') + 1 :][:2]\n"
        "argv = ['--status-file', status, '--port-range', *ports, '--timeout', '0.5']\n"
        "sys.exit(example_service.main(argv))\n",
    )
    project.start("hashserver")
    pid = project.server_state(HS, remote=False)["pid"]
    assert wait_gone(pid, timeout=30)
    deadline = time.monotonic() + 30
    while project.server_state(HS, remote=False).get("exit") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    record = project.server_state(HS, remote=False)["exit"]
    assert (record["reason"], record["code"], record["inferred"]) == ("idle", 0, False)
    code, document = doctor(project)
    found = findings(document, "services")[HS]
    assert found["verdict"] == "ok" and found["message"] == (
        "exited after its idle timeout (its own --timeout 600: no request for 600 s); "
        "it is started again on demand"
    )
    assert code == 0, json.dumps(document, indent=1)
