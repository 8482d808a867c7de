"""Schedulers: what a cluster ``type`` means for the Dask services, as pluggy plugins.

The built-ins (``local``, ``slurm``, ``oar``) are registered by :mod:`.builtin` through the
``register_schedulers(register)`` hook exactly as a third-party plugin registers its own
(see docs/services/plugins.md). :func:`scheduler_for` finds the scheduler of a cluster.
"""

from __future__ import annotations

from .base import QueueProblem, Scheduler
from .lookup import scheduler_for

__all__ = ["QueueProblem", "Scheduler", "scheduler_for"]
