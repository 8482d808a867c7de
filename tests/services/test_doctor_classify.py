"""The doctor's table of server-log errors (the seeds' cross-repo failure patterns), and the
pure parts of its local scan: which line decides, what it means, where the fix belongs."""

from __future__ import annotations

import pytest

from seamless_config_services.doctor.classify import REPOSITORIES, classify, repository
from seamless_config_services.doctor.local import Forward, parse_ssh_argv
from seamless_config_services.doctor.model import PROBLEM, WARNING, Check, Finding, Fix, Report, excerpt

STARLETTE = """\
INFO:     Started server process [4242]
INFO:     127.0.0.1:35616 - "GET /abc HTTP/1.1" 500 Internal Server Error
ERROR:    Exception in ASGI application
Traceback (most recent call last):
  File "/env/lib/python3.11/site-packages/hashserver.py", line 412, in get_file
    return FileResponse(path, method="GET")
TypeError: FileResponse.__init__() got an unexpected keyword argument 'method'
"""

TB = 'Traceback (most recent call last):\n  File "x", line 1\n'
BIND = "ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 5100): address in use"
DASK = "2026-01-01 distributed.scheduler - ERROR - Task f marked as failed because 3 workers died"
ENVIRONMENT = "the environment on the frontend (the 'conda' field of the cluster YAML), not hashserver's code"

CASES = [
    # (log, service, id, error line, where the fix belongs)
    (
        STARLETTE,
        "hashserver",
        "dependency-api-change",
        "TypeError: FileResponse.__init__() got an unexpected keyword argument 'method'",
        "the server repository: hashserver (not the client, not the test)",
    ),
    (
        TB + "TypeError: f() missing 1 required positional argument: 'a'\n",
        "database",
        "dependency-api-change",
        "TypeError: f() missing 1 required positional argument: 'a'",
        "the server repository: seamless-database (not the client, not the test)",
    ),
    (
        TB + "ImportError: cannot import name 'FileResponse' from 'starlette.responses'\n",
        "hashserver",
        "import-error",
        "ImportError: cannot import name 'FileResponse' from 'starlette.responses'",
        ENVIRONMENT,
    ),
    (
        "ModuleNotFoundError: No module named 'aiofiles'\n",
        "hashserver",
        "import-error",
        "ModuleNotFoundError: No module named 'aiofiles'",
        ENVIRONMENT,
    ),
    (
        BIND + "\n",
        "jobserver",
        "address-in-use",
        BIND,
        "the deployment on the frontend: an old process, not "
        "seamless-transformer (seamless-jobserver)'s code",
    ),
    (
        DASK + "\n",
        "daskserver",
        "dask-worker",
        DASK,
        "the worker nodes' environment or network (seamless-dask), not the client",
    ),
    (
        TB + "distributed.scheduler.KilledWorker: ('f-123', <Worker>)\n",
        "pure-daskserver",
        "dask-worker",
        "distributed.scheduler.KilledWorker: ('f-123', <Worker>)",
        "the worker nodes' environment or network (seamless-dask), not the client",
    ),
    (
        TB + "PermissionError: [Errno 13] Permission denied: '/srv/b'\n",
        "hashserver",
        "unclassified-traceback",
        "PermissionError: [Errno 13] Permission denied: '/srv/b'",
        "the package that the traceback's innermost frame names (hashserver or a dependency)",
    ),
]


@pytest.mark.parametrize(("log", "service", "rule", "error", "fix_in"), CASES, ids=[c[2] for c in CASES])
def test_table(log: str, service: str, rule: str, error: str, fix_in: str) -> None:
    found = classify(log, service)
    assert found is not None
    assert (found.id, found.error, found.fix_in) == (rule, error, fix_in)
    assert found.as_json()["id"] == rule
    assert error in found.excerpt


def test_the_newest_error_decides_and_its_traceback_is_the_excerpt() -> None:
    log = "ImportError: cannot import name 'x'\nrecovered\n" + STARLETTE
    found = classify(log, "hashserver")
    assert found is not None and found.id == "dependency-api-change"
    assert found.excerpt.splitlines()[0] == "Traceback (most recent call last):"
    assert found.excerpt.splitlines()[-1] == found.error


def test_clean_logs_and_stop_artefacts_are_not_errors() -> None:
    assert classify("", "hashserver") is None
    assert classify("INFO: Shutting down\nINFO: Finished server process [1]\n", "hashserver") is None
    stopped = 'Traceback (most recent call last):\n  File "a"\nasyncio.exceptions.CancelledError\n'
    assert classify(stopped, "hashserver") is None
    # An exception name without a traceback before it is not treated as one.
    assert classify("ValueError: in a message someone logged\n", "hashserver") is None


def test_repositories_of_the_seeds_topology() -> None:
    assert REPOSITORIES == {
        "hashserver": "hashserver",
        "database": "seamless-database",
        "jobserver": "seamless-transformer (seamless-jobserver)",
        "daskserver": "seamless-dask (seamless-dask-wrapper)",
        "pure-daskserver": "seamless-dask (seamless-dask-wrapper)",
    }
    assert repository("myplugin") == "the repository of the myplugin service type"


@pytest.mark.parametrize(
    ("argv", "forwards", "destination"),
    [
        (["ssh", "-N", "-L", "5000:127.0.0.1:6000", "host"], [Forward(5000, "127.0.0.1", 6000)], "host"),
        (["/usr/bin/ssh", "-F", "c", "host", "-N", "-L5:h:6"], [Forward(5, "h", 6)], "host"),
        (["ssh", "-NL", "127.0.0.1:5:[::1]:6", "-n", "h", "cmd -L 1:2:3"], [Forward(5, "::1", 6)], "h"),
        (["ssh", "-L", "/tmp/sock:/run/x", "host"], [], "host"),
        (["ssh", "-o", "ControlMaster=auto", "host", "rhl-ps"], [], "host"),
    ],
)
def test_ssh_forwards_are_read_like_ssh_reads_them(
    argv: list[str], forwards: list[Forward], destination: str
) -> None:
    assert parse_ssh_argv(argv) == (forwards, destination)


def test_exit_code_is_the_worst_counted_verdict() -> None:
    check = Check("leftovers", 5, "t")
    report = Report(checks=[check])
    assert (report.verdict, report.exit_code) == ("ok", 0)
    fix = Fix("remove-client-file", "k", "remove it")
    check.add(Finding("k", WARNING, "stale", fix=fix))
    assert report.exit_code == 1
    fix.done = True  # a cleanup --fix did no longer counts
    assert report.exit_code == 0 and check.verdict == WARNING
    check.add(Finding("h", PROBLEM, "unreachable"))
    assert report.exit_code == 2
    assert excerpt("a\n\nb\nc", lines=2) == "b\nc"
