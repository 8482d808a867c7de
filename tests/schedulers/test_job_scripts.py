"""Golden tests of the worker job scripts: what SLURM and OAR really receive.

For each case of the scheduler matrix (``golden_cases.matrix_cases``: every queue feature on
SLURM and OAR, both Dask services, with and without a ``node`` command) we resolve the
service as our commands do, hand its ``cluster_string`` and ``file_parameters`` to the real
Dask wrapper and dask-jobqueue in a side venv (``jobscript_driver.py``) and compare the
``job_script()`` they produce with the file in ``golden/``. The same is done with what
seamless-config 0.3.2 resolves for the same request: the two scripts must be identical,
except where the case's weak-point tags say that our fix changes what the job gets
(``weak8prologue``: the prologue reaches the job; ``weak9``: a pure-daskserver on an
exclusive queue runs exclusive jobs). ``weak8`` (defaults written out) must change nothing:
the defaults are the wrapper's own.

Random ports and temporary paths are normalised. ``RHL_REGEN_JOB_SCRIPTS=1`` rewrites the
golden files from our side (then review the diff).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
from typing import Any

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "services"))

from golden_cases import Case, matrix_cases
from golden_world import World
from jobscript_venv import ensure_jobscript_venv
from test_golden import resolve_ours, run_reference

from seamless_config_services.resolve import Resolution

pytestmark = pytest.mark.reference

HERE = pathlib.Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
DRIVER = HERE / "jobscript_driver.py"
REGENERATE = os.environ.get("RHL_REGEN_JOB_SCRIPTS") == "1"
#: Where the launcher keeps a service's log on the server (the job logs are named after it).
LOG_DIR = "~/.remote-http-launcher/server"
#: The weak points whose fix changes the job script itself.
SCRIPT_CHANGING = {"weak8prologue", "weak9"}
#: Queues whose node-selection variant is in the job-script matrix (the others differ from
#: their node-less script only by the node directive, which these cover).
NODE_QUEUES = {"base", "excl-whole", "excl-directives", "everything"}


def _selected(case: Case) -> bool:
    if case.error is not None:
        return False
    return not case.id.endswith("-node") or case.args["queue"] in NODE_QUEUES


CASES = [case for case in matrix_cases() if _selected(case)]

#: Problems the goldens exposed in what 0.3.2 passes, fixed here (tags jobcores, oarnode).
EXCLUSIVE_JOB_CORES = (
    "0.3.2's daskserver on an exclusive queue with 'cores' passes job_cores := cores (spec 3.4), "
    "which the seamless-dask 0.4 wrapper refuses ('job_cores' must not be set in exclusive mode); "
    "it derives job_cores from cores itself"
)


def _param(case: Case) -> Any:
    return pytest.param(case, id=case.test_id)


def derived_changes(case: Case) -> set[str]:
    """The fixes the job-script goldens led to (see DERIVED_TAGS in test_golden.py):
    ``jobcores`` (EXCLUSIVE_JOB_CORES) and ``oarnode`` (OAR_NODE_SELECTION)."""
    found = set()
    if case.args["service"] == "daskserver" and case.args["queue"].startswith("excl-cores"):
        found.add("jobcores")
    if "moar" in case.id and case.id.endswith("-node"):
        found.add("oarnode")
    return found


# -- running the wrapper --------------------------------------------------------------------------


def port_range(launcher_config: dict[str, Any]) -> list[int]:
    """The ``--port-range`` the launcher passes to the wrapper."""
    found = re.search(r"--port-range (\d+) (\d+)", launcher_config["command"])
    assert found, launcher_config["command"]
    return [int(found.group(1)), int(found.group(2))]


def run_wrapper(requests: list[dict[str, Any]], log_dir: pathlib.Path) -> dict[str, dict[str, Any]]:
    """``job_script()`` for each request ``{"id", "key", "cluster_string", "parameters",
    "port_range"}``, normalised, by id (``{"script"}`` or ``{"error"}``)."""
    python = ensure_jobscript_venv()
    payload = [
        {
            "id": request["id"],
            "cluster_string": request["cluster_string"],
            "parameters": request["parameters"],
            "port_range": request["port_range"],
            "log": str(log_dir / f"{request['key']}.log"),
        }
        for request in requests
    ]
    env = {name: value for name, value in os.environ.items() if name not in ("CONDA_PREFIX", "PYTHONPATH")}
    proc = subprocess.run(
        [str(python), str(DRIVER)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=str(log_dir),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results: dict[str, dict[str, Any]] = {}
    for line in proc.stdout.splitlines():
        result = json.loads(line)
        if "script" in result:
            result["script"] = normalise(result["script"], result["scheduler_address"], log_dir)
        results[result.pop("id")] = result
    assert set(results) == {request["id"] for request in requests}
    return results


def normalise(script: str, scheduler_address: str, log_dir: pathlib.Path) -> str:
    """The script without what changes from run to run: the scheduler's random port and the
    temporary log directory."""
    assert scheduler_address.startswith("tcp://127.0.0.1:"), scheduler_address
    script = script.replace(scheduler_address, "tcp://127.0.0.1:SCHEDULER_PORT")
    return script.replace(str(log_dir), LOG_DIR)


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    found = World(tmp_path_factory.mktemp("jobscripts"))
    found.write()
    return found


@pytest.fixture(scope="module")
def scripts(
    matrix_world: World, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{"ours": ..., "reference": ...}``: the job scripts of both sides, by case id."""
    reference = run_reference(matrix_world, CASES)
    ours_requests = []
    reference_requests = []
    for case in CASES:
        resolution = resolve_ours(case, matrix_world)
        assert isinstance(resolution, Resolution), resolution
        config = resolution.launcher_config
        ours_requests.append(
            {
                "id": case.id,
                "key": resolution.key,
                "cluster_string": config["cluster_string"],
                "parameters": config["file_parameters"],
                "port_range": port_range(config),
            }
        )
        dispatch = reference[case.id]["dispatch"]
        assert "error" not in dispatch, dispatch
        reference_requests.append(
            {
                "id": case.id,
                "key": dispatch["key"],
                "cluster_string": dispatch["config"]["cluster_string"],
                "parameters": dispatch["config"]["file_parameters"],
                "port_range": port_range({"command": dispatch["command"]}),
            }
        )
    log_dir = tmp_path_factory.mktemp("joblogs")
    return {
        "ours": run_wrapper(ours_requests, log_dir),
        "reference": run_wrapper(reference_requests, log_dir),
    }


def golden_path(case_id: str) -> pathlib.Path:
    return GOLDEN / f"{case_id}.sh"


def check_golden(case_id: str, script: str) -> None:
    path = golden_path(case_id)
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(script)
    assert path.exists(), f"{path} is missing (RHL_REGEN_JOB_SCRIPTS=1 writes it)"
    assert script == path.read_text(), f"{path.name}: the job script changed"


# -- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_job_script(case: Case, scripts: dict[str, dict[str, dict[str, Any]]]) -> None:
    ours = scripts["ours"][case.id]
    reference = scripts["reference"][case.id]
    assert "error" not in ours, ours
    check_golden(case.id, ours["script"])
    if SCRIPT_CHANGING & set(case.tags) or derived_changes(case):
        # The fix changes what the job gets; for weak 9 on a whole-node queue 0.3.2's
        # parameters do not even make a job (the wrapper wants 'cores').
        assert ours != reference, "the fix should change what the job gets"
    else:
        assert "error" not in reference, reference
        assert ours["script"] == reference["script"]


def test_weak9_whole_node_fails_in_the_wrapper_with_0_3_2(
    scripts: dict[str, dict[str, dict[str, Any]]],
) -> None:
    """Spec §7 item 9, seen in the real wrapper: what 0.3.2 passes for a pure-daskserver on a
    whole-node queue makes no job at all."""
    for scheduler in ("mslurm", "moar"):
        assert scripts["reference"][f"mx-{scheduler}-excl-whole-pure"] == {
            "error": "RuntimeError: Missing required parameter 'cores'"
        }


def test_every_golden_file_belongs_to_a_case() -> None:
    """A renamed or dropped case leaves no stale golden file behind (the PBS plugin's
    scripts are checked by test_example_scheduler.py)."""
    wanted = {golden_path(case.id).name for case in CASES if _param(case).marks == ()}
    found = {path.name for path in GOLDEN.glob("mx-*.sh")}
    assert found == wanted


def test_the_matrix_shows_the_scheduler_features() -> None:
    """What the issue asks to see in the scripts is in the golden files."""
    expected_lines = {
        "mx-mslurm-excl-whole-dask": ["#SBATCH --exclusive"],
        "mx-mslurm-excl-whole-pure": ["#SBATCH --exclusive", "export SEAMLESS_DASK_QUEUE_EXCLUSIVE=1"],
        "mx-mslurm-base-dask-node": ["#SBATCH --nodelist=n3"],
        "mx-mslurm-part-proj-dask": ["#SBATCH -p big", "#SBATCH -A acct9"],
        "mx-mslurm-prologue-dask": ["module load dask/2026", "export OMP_PROC_BIND=1"],
        "mx-moar-excl-whole-dask": ["#OAR -l /nodes=1,walltime=02:00:00"],
        "mx-moar-excl-whole-pure": [
            "#OAR -l /nodes=1,walltime=02:00:00",
            "export SEAMLESS_DASK_QUEUE_EXCLUSIVE=1",
        ],
        "mx-moar-part-proj-dask": ["#OAR -q big", "#OAR --project acct9"],
        "mx-moar-base-dask": ["#OAR -p memcore>=1908"],
        "mx-moar-prologue-pure": ["module load dask/2026"],
    }
    for case_id, lines in expected_lines.items():
        text = golden_path(case_id).read_text().splitlines()
        for line in lines:
            assert line in text, (case_id, line)


# -- would the batch system read these scripts as meant? ------------------------------------------

#: The options oarsub (2.5) reads from ``#OAR`` lines of a script it scans (``oarsub -S``, as
#: dask-jobqueue submits), and whether each takes a value. Any other ``#OAR`` line, or a
#: missing value, makes oarsub refuse the script.
OAR_SCRIPT_OPTIONS = {
    **dict.fromkeys(("-l", "--resource", "-q", "--queue", "-p", "--property", "-t", "--type"), True),
    **dict.fromkeys(("-d", "--directory", "-n", "--name", "--project", "-O", "--stdout", "-E"), True),
    **dict.fromkeys(("--stderr", "--notify", "--checkpoint", "--signal", "-a", "--anterior"), True),
    **dict.fromkeys(("--array", "--array-param-file", "-s", "--stagein", "--stagein-md5sum"), True),
    **dict.fromkeys(("-i", "--import-job-key-from-file", "-e", "--export-job-key-to-file"), True),
    "--import-job-key-inline-priv": True,
    **dict.fromkeys(("--hold", "-k", "--use-job-key"), False),
}
OAR_NODE_SELECTION = (
    "0.3.2's OAR node selection appends '-p' and \"host='<node>'\" as two directives (spec 3.1): "
    "the script gets a bare '#OAR -p' line and a '#OAR host=...' line, which oarsub cannot scan, "
    "and dask-jobqueue's memory property then merges into \"-p '-p AND ...'\"; one directive "
    "\"-p host='<node>'\" would be read as meant"
)
SLURM_PROLOGUE = (
    "the seamless-dask wrapper puts its '#SBATCH --output/--error' lines after the queue's "
    "job_script_prologue; sbatch stops reading directives at the first command, so the job "
    "logs go to SLURM's default file"
)


def oar_problems(script: str) -> list[str]:
    problems = []
    for line in script.splitlines():
        if not line.startswith("#OAR"):
            continue
        words = line.split(None, 2)
        if len(words) == 2 and words[1].startswith("--") and "=" in words[1]:
            words = [words[0], *words[1].split("=", 1)]  # the wrapper's --stdout=<file>
        option = words[1] if len(words) > 1 else ""
        if option not in OAR_SCRIPT_OPTIONS:
            problems.append(f"{line!r}: not an option oarsub reads")
        elif OAR_SCRIPT_OPTIONS[option] and len(words) < 3:
            problems.append(f"{line!r}: no value")
    return problems


def slurm_problems(script: str) -> list[str]:
    """``#SBATCH`` lines after the first command (sbatch ignores them)."""
    problems = []
    commands_seen = False
    for line in script.splitlines()[1:]:
        stripped = line.strip()
        if stripped.startswith("#SBATCH") and commands_seen:
            problems.append(f"{line!r}: after the first command, ignored by sbatch")
        elif stripped and not stripped.startswith("#"):
            commands_seen = True
    return problems


def _directive_param(case: Case) -> Any:
    queue = case.args["queue"]
    reason = None
    if "mslurm" in case.id and queue in ("prologue", "excl-prologue", "everything"):
        reason = SLURM_PROLOGUE
    marks = () if reason is None else (pytest.mark.xfail(reason=reason, strict=True),)
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize(
    "case", [_directive_param(case) for case in CASES if golden_path(case.id).exists() or REGENERATE]
)
def test_the_batch_system_reads_every_directive(case: Case) -> None:
    script = golden_path(case.id).read_text()
    problems = oar_problems(script) if "moar" in case.id else slurm_problems(script)
    assert problems == []


@pytest.mark.parametrize(("page", "count"), [("schedulers.md", 2), ("plugins.md", 1)])
def test_the_docs_show_golden_scripts_as_they_are(page: str, count: int) -> None:
    """docs/services/schedulers.md and plugins.md embed job scripts: each must be a current
    golden file."""
    path = HERE.parent.parent / "docs" / "services" / page
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"^```bash\n(.*?)^```[ \t]*$", text, re.MULTILINE | re.DOTALL)
    goldens = {golden.read_text() for golden in GOLDEN.glob("*.sh")}
    assert len(blocks) == count
    for block in blocks:
        assert block in goldens, f"docs/services/{page}: an embedded job script is stale"
