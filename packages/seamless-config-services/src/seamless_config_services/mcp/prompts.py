"""The one prompt of ``seamless-service-mcp``: the remote-debugging checklist, in order.

It earns its place because the order is the point: the doctor first, then, to make a cache
cold, stop -> read the logs -> rm -> clear -> restart. Removing state before reading the log
loses the evidence; clearing before stopping is refused; a pass on a warm cache proves
nothing (the seeds' false-pass protocol).
"""

from __future__ import annotations

NAME = "debug-seamless-services"
DESCRIPTION = (
    "The Seamless remote-debugging checklist for a selection: doctor first, then the false-pass "
    "protocol (stop, read the logs, rm, clear, restart) with these tools."
)
ARGUMENTS = {
    "cluster": "Cluster (default: from seamless.profile.yaml).",
    "project": "Project (default: from seamless.yaml).",
    "service": "One service type (default: every service of the selection).",
}


def text(arguments: dict[str, str]) -> str:
    """The checklist, with the selection written into every tool call it names."""
    selection = {name: value for name, value in arguments.items() if name in ARGUMENTS and value}
    shown = ", ".join(f'"{k}": "{v}"' for k, v in selection.items())
    args = "{" + shown + "}"
    project = selection.get("project", "P")
    return f"""Debug the Seamless services of this selection: {args}.

1. Call the `doctor` tool first, with {args}. Do not guess keys, paths or hosts.
   Walk `checks` in order and stop at the first check whose `verdict` is `problem`; for each
   finding, `message` is what is true, `evidence[].command` how to see it yourself, and
   `next_step` what to do. A `logs` finding's `details.classification.fix_in` names the
   repository to fix: a ClientConnectionError is a symptom, not the bug.
2. Fix the repository the doctor names (the server's, or its environment), re-install it on
   the frontend, then make the cache cold, in this order:
   a. `stop` (always with "project": "{project}": a cluster alone stops every project's services);
   b. `logs` of each service (read them before anything is removed);
   c. `rm` (same selection as stop);
   d. `clear` with "confirm": true for each persistent service the doctor's `false-pass`
      findings name (it refuses data a running service uses; ask the user before clearing data
      that is not a test project's);
   e. `restart` (or `start`) the services.
3. Re-run the test, then `doctor` again: a pass counts only on a cold cache, and the doctor's
   verdict should be `ok`.

Never: patch the client or the test, or add retries, to hide a server-side error; treat
"retries exhausted" as flaky; treat an idle exit (`exit.reason == "idle"`) as the bug; remove
state before reading the log; build keys or data paths by hand (use `resolve`); kill
processes by name; declare a fix verified on a warm cache.
"""
