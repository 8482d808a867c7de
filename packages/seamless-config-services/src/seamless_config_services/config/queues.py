"""The ``queues`` of a cluster: field spelling, types, TEMPLATE inheritance, exclusive rules.

Queue fields may be written with ``-`` or ``_`` (``job-extra-directives``); they are stored
with underscores. A queue may name an earlier queue of the same cluster as ``TEMPLATE``: it
starts from that queue's fields and overwrites exactly what it writes itself (an explicit
``null`` erases an inherited value).

Differences from seamless-config 0.3.2 (spec §7 items 8 and 24):

* field types are checked (``cores: many`` is an error naming the queue and field, not a
  value passed on to the scheduler wrapper);
* ``job_script_prologue`` (a list of strings, consumed downstream) is accepted;
* the cluster's scheduler (:mod:`..schedulers`) fills in its defaults for the fields a queue
  leaves out and checks its required fields and rules (0.3.2 applied neither); the error
  names the queue and the field.
"""

from __future__ import annotations

from ..model import Queue
from ..schedulers.base import QueueProblem, Scheduler
from .checks import (
    Where,
    describe,
    expect_bool,
    expect_int,
    expect_mapping,
    expect_str,
    expect_str_list,
    is_int,
    wrong,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

TEMPLATE = "TEMPLATE"


def _positive(value: Any, where: Where) -> Any:
    return expect_int(value, where, minimum=1)


def _string(value: Any, where: Where) -> Any:
    return expect_str(value, where)


def _walltime(value: Any, where: Where) -> Any:
    if is_int(value) and value >= 0:  # YAML 1.1 reads an unquoted 1:00:00 as the number 3600
        spelled = f"{value // 3600}:{value // 60 % 60:02}:{value % 60:02}"
        raise where.error(
            f"expected a string such as '01:00:00', got {value} "
            f"(YAML reads an unquoted {spelled} as a number: quote it)"
        )
    return expect_str(value, where, expected="a string such as '01:00:00'")


def _memory(value: Any, where: Where) -> Any:
    if is_int(value) and value > 0:
        return value
    return expect_str(value, where, expected="a memory size such as '32000MB'")


def _duration(value: Any, where: Where) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return value
    return expect_str(value, where, expected="a duration such as '10m' or a number of seconds")


def _resources(value: Any, where: Where) -> Any:
    mapping = expect_mapping(value, where, expected="a mapping of resource names to numbers")
    for name, amount in mapping.items():
        if not isinstance(name, str) or isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise wrong(where.sub(str(name)), "a number", amount)
    return dict(mapping)


def _dask_config(value: Any, where: Where) -> Any:
    mapping = expect_mapping(value, where, expected="a mapping of Dask config keys to values")
    for name, setting in mapping.items():
        if not isinstance(name, str):
            raise where.error(f"Dask config keys must be strings, got {describe(name)}")
        if not isinstance(setting, (str, int, float, bool)):
            raise wrong(where.sub(name), "a string, number or boolean", setting)
    return dict(mapping)


def _str_list(value: Any, where: Where) -> Any:
    return expect_str_list(value, where)


#: Queue field (underscore spelling) -> check. The order is the order messages list them in.
QUEUE_FIELDS: dict[str, Callable[[Any, Where], Any]] = {
    TEMPLATE: _string,
    "conda": _string,
    "walltime": _walltime,
    "memory": _memory,
    "cores": _positive,
    "job_cores": _positive,
    "exclusive": lambda v, w: expect_bool(v, w),
    "interactive": lambda v, w: expect_bool(v, w),
    "maximum_jobs": _positive,
    "unknown_task_duration": _duration,
    "target_duration": _duration,
    "lifetime_stagger": _duration,
    "lifetime": _duration,
    "partition": _string,
    "project": _string,
    "tmpdir": _string,
    "worker_threads": _positive,
    "processes": _positive,
    "job_extra_directives": _str_list,
    "job_script_prologue": _str_list,
    "dask_resources": _resources,
    "extra_dask_config": _dask_config,
}


def _written_fields(raw: Any, where: Where) -> dict[str, Any]:
    """The fields a queue writes, underscore-spelled and type-checked (``None`` kept: it
    erases an inherited value)."""
    if raw is None:
        return {}
    mapping = expect_mapping(raw, where, expected="a mapping of queue fields")
    written: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise where.error(f"field names must be strings, got {describe(key)}")
        name = key if key == TEMPLATE else key.replace("-", "_")
        if name not in QUEUE_FIELDS:
            raise where.sub(key).error(f"unknown field (allowed: {', '.join(QUEUE_FIELDS)})")
        if name in spelled:
            raise where.sub(key).error(f"written twice (as {spelled[name]!r} and {key!r})")
        spelled[name] = key
        written[name] = None if value is None else QUEUE_FIELDS[name](value, where.sub(key))
    return written


def _check(fields: Mapping[str, Any], where: Where, scheduler: Scheduler | None, workers: int | None) -> None:
    """The scheduler's rules; without a ``type``, 0.3.2's exclusive rules alone."""
    try:
        if scheduler is not None:
            scheduler.check_queue(workers, fields)
        elif fields.get("exclusive"):
            if "job_cores" in fields:
                raise QueueProblem(None, "'job_cores' must not be set in exclusive mode")
        elif "cores" not in fields:
            raise QueueProblem(None, "'cores' is required when 'exclusive' is not set")
    except QueueProblem as problem:
        raise (where.sub(problem.field) if problem.field else where).error(problem.message) from None


def build_queues(
    raw: Any, where: Where, scheduler: Scheduler | None, workers: int | None = None
) -> dict[str, Queue]:
    """The queues of one cluster, in the order written, with the scheduler's defaults filled
    in and its rules checked. ``where`` points at ``queues``."""
    mapping = expect_mapping(raw, where, expected="a mapping of queue names to queues")
    queues: dict[str, Queue] = {}
    for name, definition in mapping.items():
        if not isinstance(name, str) or not name:
            raise where.error(f"queue names must be non-empty strings, got {describe(name)}")
        here = where.sub(name)
        written = _written_fields(definition, here)
        fields: dict[str, Any] = {}
        template = written.pop(TEMPLATE, None)
        if template is not None:
            if template not in queues:
                above = ", ".join(queues) or "none"
                raise here.sub(TEMPLATE).error(
                    f"unknown queue {template!r}: a template must be a queue defined above this one "
                    f"(defined above: {above})"
                )
            fields.update(queues[template].fields)
        for field, value in written.items():
            if value is None:
                fields.pop(field, None)
            else:
                fields[field] = value
        complete = scheduler.complete_queue(fields) if scheduler is not None else fields
        _check(complete, here, scheduler, workers)
        # A child inherits its template's complete fields; a field it erases with null gets
        # the default again.
        queues[name] = Queue(name=name, fields=complete)
    return queues
