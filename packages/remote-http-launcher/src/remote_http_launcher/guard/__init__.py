"""rhl-guard: the SSH forced command that lets a key run our helpers and nothing else.

An administrator puts ``command="/path/to/rhl-guard --clear-policy seamless",restrict,...``
in ``authorized_keys`` (docs/guard/admin-guide.md). sshd then runs the guard instead of
whatever the client asked for, and passes the request in ``SSH_ORIGINAL_COMMAND``. The
guard fails closed:

1. its own options are parsed first (:func:`parse_options`), and the policy they select is
   checked (:meth:`_Policy.validate`); any error refuses every command (exit 78, audited);
2. the command is decided by :func:`._decide.decide` (fixed helper table, the helper's own
   parser, path policy, local hosts);
3. a rejection is one line on stderr (``rhl-guard: rejected: <reason>``), exit
   :data:`EXIT_REJECTED`, and an audit record (:mod:`._audit`);
4. an accepted command runs *in this process*: the helper's body is called with the values
   the guard parsed and checked, so no other program (whatever ``rhl-*`` is on PATH, or the
   guard itself) is ever executed, and Python starts once. The environment is cleaned first
   (:func:`_prepare_environment`), and the path policy is handed to the helper, which
   re-checks its paths at the moment of use (:mod:`..policy.enforced`).

Python starts on every SSH call, and each module the decision loads costs that call: the
decision loads only this package's guard, command table (one entry), word splitter and parser,
and nothing from the standard library's directory beyond what ``os`` brings. That is why these
modules quote their annotations instead of importing ``__future__``
(tests/guard/test_guard_cli.py::test_the_decision_loads_only_the_guards_own_modules).

Exit codes: the helper's own; :data:`EXIT_REJECTED` (77) for a refused command or an
interactive session; :data:`EXIT_CONFIG` (78) for a configuration error; 70 for an internal
error of the guard. 1 and 127 are deliberately avoided: 0.4.5's client reads 1 from
``rhl-pid-alive`` as "process dead" and 127 as "helpers not installed".
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from ..policy.base import PathPolicy
    from ._decide import Outcome

EXIT_REJECTED = 77  # EX_NOPERM
EXIT_CONFIG = 78  # EX_CONFIG
EXIT_INTERNAL = 70  # EX_SOFTWARE
MAX_REASON = 1000

#: Variables the client side could have injected (AcceptEnv, ~/.ssh/environment) that change
#: what a helper does; the guard removes them and sets its own from its options. Everything
#: starting with RHL_ or _RHL_ goes too (RHL_DEBUG, completion variables, anything new),
#: except the plugin selection, which can only narrow what loads.
SCRUBBED = frozenset(["REMOTE_HTTP_LAUNCHER_DIR", "SSH_ORIGINAL_COMMAND"])
KEPT_RHL = frozenset(["RHL_PATH_POLICY_PLUGINS"])

HELP = """\
Usage: rhl-guard [OPTIONS]

  SSH forced command for remote-http-launcher: run the rhl-* helper named in
  SSH_ORIGINAL_COMMAND, and nothing else.

  Put it in authorized_keys, e.g.
    command="/usr/local/bin/rhl-guard --clear-policy seamless",restrict,port-forwarding,
    permitopen="127.0.0.1:*" ssh-ed25519 AAAA... (all on one line)
  Leading VAR=value words (the clients' PATH prepend) are dropped. Only the helpers in the
  guard's fixed table run, in-process, with arguments parsed by the helper's own parser.
  rhl-clear, rhl-ps-persistent and rhl-launch-service need a path policy. rhl-verify-port
  and rhl-handshake may only reach this host. Rejections print one line, exit 77, and are
  logged (syslog authpriv, and <state dir>/guard/rejected.jsonl).

Path policy (at most one):
  --data-roots FILE        Paths must lie under a root listed in FILE (per use: clear, read, workdir).
  --clear-policy seamless  Clear/report only directories holding seamless.db or .HASHSERVER_PREFIX.
  --clear-policy marker:NAME
                           Clear/report only directories holding the file NAME.
  --permissive-paths       Only the always-on rules.
  --policy NAME[:ARG]      A policy by name, built in or from a plugin (see --list-policies).

Other options:
  --state-dir DIR          REMOTE_HTTP_LAUNCHER_DIR for the helpers (default ~/.remote-http-launcher).
  --tools-yaml FILE        RHL_TOOLS_YAML for rhl-launch-service (default: the built-in whitelist).
  --dask-clusters LIST     More MODULE::SYMBOL (comma-separated) for seamless-dask-wrapper; built in:
                           the ...Cluster classes of distributed and dask_jobqueue.
  --label TEXT             Name of this key in the audit log.
  --audit-log FILE         Rejections log (default <state dir>/guard/rejected.jsonl).
  --dry-run                Print the decision instead of running the helper; with no
                           SSH_ORIGINAL_COMMAND, check the configuration (policy included).
  --list-policies          List the available path policies and exit.
  --version                Show the version and exit.
  -h, --help               Show this message and exit.

Exit codes: the helper's own; 77 rejected; 78 configuration error; 70 internal error.
"""

INSTALL_MESSAGE = """\
rhl-guard: this program is an SSH guard for remote-http-launcher.
rhl-guard: it runs only as a forced command, with the request in SSH_ORIGINAL_COMMAND;
rhl-guard: interactive sessions are refused. Install it in ~/.ssh/authorized_keys:
rhl-guard:   command="{path} --clear-policy seamless",restrict ssh-ed25519 AAAA... you@host
rhl-guard: Test a configuration locally with, e.g.:
rhl-guard:   SSH_ORIGINAL_COMMAND="rhl-ps --json" {path} --clear-policy seamless --dry-run
"""


# --------------------------------------------------------------------------- guard options
# rhl-guard's own options are the words after rhl-guard in the authorized_keys line. They are
# written by the administrator, not sent by the client; still, anything wrong with them is a
# configuration error that refuses every command (fail closed), so that a typo never
# silently turns a policy off. The policy itself is built when a path helper first needs it
# (or at once with --dry-run and no command), so that rhl-ps never pays for it.

#: Options that take a value, with the message for a missing one.
VALUE_OPTIONS = {
    "--data-roots": "--data-roots requires a path",
    "--clear-policy": "--clear-policy requires a value",
    "--policy": "--policy requires a value",
    "--state-dir": "--state-dir requires a path",
    "--tools-yaml": "--tools-yaml requires a path",
    "--label": "--label requires a value",
    "--audit-log": "--audit-log requires a path",
    "--dask-clusters": "--dask-clusters requires a value",
}
FLAG_OPTIONS = frozenset(["--permissive-paths", "--dry-run", "--help", "-h", "--version", "--list-policies"])
POLICY_OPTIONS = ("--data-roots", "--clear-policy", "--permissive-paths", "--policy")
MAX_LABEL = 100


class ConfigError(Exception):
    """A problem with the guard's options or its policy: every command is refused."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GuardConfig:
    """The parsed options. ``policy_spec`` is None when no path policy is configured."""

    def __init__(self) -> None:
        self.policy_spec: str | None = None
        self.state_dir: str | None = None
        self.tools_yaml: str | None = None
        self.label: str | None = None
        self.audit_log: str | None = None
        self.dask_clusters: tuple[str, ...] = ()
        self.dry_run = False
        self.action = "guard"  # or "help", "version", "list-policies"


def _absolute(option: str, value: str) -> str:
    expanded = os.path.expanduser(value)
    if not os.path.isabs(expanded):
        raise ConfigError(f"{option} must be an absolute path: {value!r}")
    return os.path.normpath(expanded)


def _clear_policy_spec(value: str) -> str:
    if value == "seamless":
        return "seamless"
    if value.startswith("marker:"):
        return value
    raise ConfigError("--clear-policy must be 'seamless' or 'marker:NAME'")


def _dask_clusters(value: str) -> tuple[str, ...]:
    """``MODULE::SYMBOL[,MODULE::SYMBOL...]``: each a dotted module path and an identifier."""
    clusters = tuple(value.split(","))
    for cluster in clusters:
        module, separator, symbol = cluster.partition("::")
        parts = module.split(".")
        if not (
            separator
            and cluster.isascii()
            and symbol.isidentifier()
            and all(part.isidentifier() for part in parts)
        ):
            raise ConfigError(f"--dask-clusters: not MODULE::SYMBOL: {cluster!r}")
    return clusters


def parse_options(argv: list[str]) -> "GuardConfig":
    """Parse the guard's argv (``--opt VALUE`` or ``--opt=VALUE``; each option at most once)."""
    config = GuardConfig()
    values: dict[str, str] = {}
    flags: set[str] = set()
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        name, equals, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        if name in VALUE_OPTIONS:
            if equals:
                value = inline
            elif index < len(argv):
                value = argv[index]
                index += 1
            else:
                raise ConfigError(VALUE_OPTIONS[name])
            if name in values:
                raise ConfigError(f"rhl-guard option given twice: {name}")
            values[name] = value
        elif name in FLAG_OPTIONS and not equals:
            if name in flags:
                raise ConfigError(f"rhl-guard option given twice: {name}")
            flags.add(name)
        else:
            raise ConfigError(f"unknown rhl-guard option: {token}")
    if "--help" in flags or "-h" in flags:
        config.action = "help"
        return config
    if "--version" in flags:
        config.action = "version"
        return config
    if "--list-policies" in flags:
        config.action = "list-policies"
    chosen = [o for o in POLICY_OPTIONS if o in values or o in flags]
    if len(chosen) > 1:
        raise ConfigError(
            "--data-roots, --clear-policy, --permissive-paths and --policy are mutually exclusive"
        )
    if "--data-roots" in values:
        if not values["--data-roots"]:
            raise ConfigError("--data-roots requires a path")
        config.policy_spec = "data-roots:" + os.path.abspath(os.path.expanduser(values["--data-roots"]))
    elif "--clear-policy" in values:
        config.policy_spec = _clear_policy_spec(values["--clear-policy"])
    elif "--permissive-paths" in flags:
        config.policy_spec = "permissive"
    elif "--policy" in values:
        if not values["--policy"]:
            raise ConfigError("--policy requires a value")
        config.policy_spec = values["--policy"]
    if "--state-dir" in values:
        config.state_dir = _absolute("--state-dir", values["--state-dir"])
    if "--tools-yaml" in values:
        config.tools_yaml = _absolute("--tools-yaml", values["--tools-yaml"])
    if "--audit-log" in values:
        config.audit_log = _absolute("--audit-log", values["--audit-log"])
    if "--dask-clusters" in values:
        config.dask_clusters = _dask_clusters(values["--dask-clusters"])
    if "--label" in values:
        label = values["--label"]
        if not label or len(label) > MAX_LABEL or not label.isprintable():
            raise ConfigError(f"--label must be 1 to {MAX_LABEL} printable characters")
        config.label = label
    config.dry_run = "--dry-run" in flags
    return config


# ---------------------------------------------------------------------------- running

#: label, audit file, policy spec: handed to the audit module when it is first needed.
_AUDIT_SETTINGS: list[str | None] = [None, None, None]


def _auditor() -> "Any":
    """The audit module, configured (imported only when there is something to record)."""
    from . import _audit as audit

    audit.configure(*_AUDIT_SETTINGS)
    return audit


def _say(message: str) -> None:
    sys.stderr.write(f"rhl-guard: {message}\n")
    sys.stderr.flush()


class _Policy:
    """The configured policy, built on first use: only path helpers pay for it."""

    def __init__(self, spec: str | None) -> None:
        self.spec = spec
        self.built: PathPolicy | None = None

    def __call__(self) -> "PathPolicy | None":
        if self.spec is None or self.built is not None:
            return self.built
        from ..policy.base import PolicyConfigError
        from ..policy.names import build

        try:
            self.built = build(self.spec)
        except PolicyConfigError as exc:
            raise ConfigError(exc.message) from None
        return self.built

    def validate(self) -> None:
        """Fail closed: raise :class:`ConfigError` now if the policy cannot be built, whatever
        the command (a broken policy must not leave the other helpers running as if the
        administrator had configured none). The built-in policies that read nothing
        (``seamless``, ``permissive``, ``marker:NAME``) are checked here without importing
        anything, so that ``rhl-ps`` through the usual ``--clear-policy seamless`` pays
        nothing; every other policy (a data-roots file, a plugin) is built."""
        spec = self.spec
        if spec is None or spec in ("seamless", "permissive"):
            return
        if spec.startswith("marker:"):
            name = spec[len("marker:") :]
            if name and "/" not in name and name not in (".", "..") and "\0" not in name:
                return
        self()


def state_base(config: "GuardConfig") -> str:
    from ._decide import default_state_dir  # the decision needs it anyway

    return config.state_dir or default_state_dir()


def _prepare_environment(config: "GuardConfig") -> None:
    """The helper's environment: nothing the client could inject, the admin's settings."""
    environ = os.environ
    for name in list(environ):
        if name in SCRUBBED or (
            (name.startswith("RHL_") or name.startswith("_RHL_")) and name not in KEPT_RHL
        ):
            del environ[name]
    if config.state_dir:
        environ["REMOTE_HTTP_LAUNCHER_DIR"] = config.state_dir
    if config.tools_yaml:
        environ["RHL_TOOLS_YAML"] = config.tools_yaml
    # Services started by rhl-launch-service are looked up on PATH; the client's PATH prepend
    # was dropped, so put this installation's own bin directory first instead.
    own_bin = os.path.dirname(os.path.abspath(sys.argv[0])) if sys.argv and sys.argv[0] else ""
    path = environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    if own_bin and own_bin not in path.split(os.pathsep):
        environ["PATH"] = own_bin + os.pathsep + path


def _list_policies() -> int:
    from ..policy.base import PolicyConfigError
    from ..policy.registry import load_registry

    try:
        registry = load_registry()
    except PolicyConfigError as exc:
        _say(f"configuration error: {exc.message}")
        return EXIT_CONFIG
    width = max(len(name) for name in registry.policies)
    for name in sorted(registry.policies):
        entry = registry.policies[name]
        sys.stdout.write(f"{name.ljust(width)}  [{entry.plugin}] {entry.summary}\n")
    return 0


class _State:
    helper_started = False


_state = _State()


def _run_helper(outcome: "Outcome", policy: "_Policy") -> int:
    """Run the accepted helper in this process, with the values the guard checked; return its
    exit code."""
    from ..commands._run import render_info, run_parsed
    from ..output import finish, run_reporting
    from ..policy import enforced

    helper = outcome.helper
    assert helper is not None
    sys.argv = [helper, *outcome.argv]
    if outcome.info:
        sys.stdout.write(render_info(helper, "version" if outcome.argv == ["--version"] else "help"))
        return finish(0)
    enforced.install(policy.spec, policy.built, lambda *refusal: _auditor().helper_refusal(*refusal))
    _state.helper_started = True
    if helper == "rhl-batch":  # every line was decided alone: run them with what was checked
        from ..commands._batch import run_items

        items = [([o.helper or "", *o.argv], o.values) for o in outcome.inner]
        session = bool((outcome.values or {}).get("session"))
        return run_reporting(
            helper, 2, lambda: run_items(items, session=session, guarded=True, tags=outcome.tags)
        )
    return run_parsed(helper, outcome.values or {})


def _guard(config: "GuardConfig") -> int:
    base = state_base(config)
    _AUDIT_SETTINGS[:] = [
        config.label,
        config.audit_log or os.path.join(base, "guard", "rejected.jsonl"),
        config.policy_spec,
    ]
    policy = _Policy(config.policy_spec)
    command = os.environ.get("SSH_ORIGINAL_COMMAND")
    if config.dry_run and command is None:
        policy()  # an administrator checking the configuration: build the policy now
        sys.stdout.write(
            f"rhl-guard: configuration OK; policy {policy.spec or '(none: path helpers refused)'}\n"
        )
        return 0
    policy.validate()
    if not command:
        _auditor().rejection(command, "no command (interactive session)")
        sys.stderr.write(
            INSTALL_MESSAGE.format(path=os.path.abspath(sys.argv[0]) if sys.argv else "rhl-guard")
        )
        return EXIT_REJECTED
    from ._decide import decide

    outcome = decide(command, policy, base, clusters=config.dask_clusters)
    if outcome.reason is not None:
        reason = outcome.reason if len(outcome.reason) <= MAX_REASON else outcome.reason[:MAX_REASON] + "..."
        _auditor().rejection(command, reason)
        _say(f"rejected: {reason}")
        return EXIT_REJECTED
    assert outcome.helper is not None
    if os.path.exists("/dev/log"):
        _auditor().accepted(outcome.helper, outcome.argv)
    if config.dry_run:
        from ..commands._words import join

        sys.stdout.write(f"rhl-guard: would run {join([outcome.helper, *outcome.argv])}\n")
        for raw, kind, resolved in outcome.paths:
            sys.stdout.write(f"rhl-guard: {kind} {raw} -> {resolved}\n")
        if policy.spec:
            sys.stdout.write(f"rhl-guard: policy {policy.spec}\n")
        return 0
    _prepare_environment(config)
    return _run_helper(outcome, policy)


def _fallback_audit_file(argv: list[str]) -> str:
    """Where to record a configuration error when the options could not be parsed: the
    ``--audit-log`` or ``--state-dir`` among them if they can be read (absolute), else the
    default place. Best effort; the refusal does not depend on it."""
    found: dict[str, str] = {}
    for index, token in enumerate(argv):
        name, equals, value = token.partition("=")
        if name in ("--audit-log", "--state-dir") and name not in found:
            if not equals:
                value = argv[index + 1] if index + 1 < len(argv) else ""
            value = os.path.expanduser(value)
            if os.path.isabs(value):
                found[name] = os.path.normpath(value)
    if "--audit-log" in found:
        return found["--audit-log"]
    from ._decide import default_state_dir

    base = found.get("--state-dir") or default_state_dir()
    return os.path.join(base, "guard", "rejected.jsonl")


def main(argv: list[str] | None = None, *, fast_exit: bool = True) -> "NoReturn":
    """The ``rhl-guard`` command.

    The process ends with ``os._exit`` after flushing: tearing down the interpreter would
    cost more than a millisecond on every call, and the guard holds nothing that needs it.
    After a helper ran, the helpers' own rule decides
    (:func:`..commands._run.teardown_needed`: its threads and ``atexit`` callbacks).
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        config = parse_options(args)
        if config.action == "help":
            sys.stdout.write(HELP)
            code = 0
        elif config.action == "version":
            from .._version import __version__

            sys.stdout.write(f"rhl-guard, version {__version__}\n")
            code = 0
        elif config.action == "list-policies":
            code = _list_policies()
        else:
            code = _guard(config)
    except ConfigError as exc:
        if _AUDIT_SETTINGS[1] is None:  # the options themselves are wrong: audit where we can
            _AUDIT_SETTINGS[1] = _fallback_audit_file(args)
        _auditor().rejection(os.environ.get("SSH_ORIGINAL_COMMAND"), f"configuration error: {exc.message}")
        _say(f"configuration error: {exc.message}")
        code = EXIT_CONFIG
    except SystemExit:
        raise
    except KeyboardInterrupt:
        code = 130
    except BaseException as exc:
        if os.environ.get("RHL_DEBUG") and "SSH_CONNECTION" not in os.environ:
            raise  # local debugging only: a remote client never gets a traceback
        _say(f"internal error: {type(exc).__name__}: {exc}")
        code = EXIT_INTERNAL
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass
    if fast_exit:
        from ..commands._run import teardown_needed

        if not (_state.helper_started and teardown_needed()):
            os._exit(code)
    raise SystemExit(code)
