"""Policy specs (``NAME`` or ``NAME:ARG``) and the built-in names, without pluggy.

Only this module reaches for the plugin registry (for a name that is not built in); the
registry and the built-in plugin take what they share (``valid_name``,
``BUILTIN_SUMMARIES``) from :mod:`.base`, so no import goes back here.
"""

from __future__ import annotations

from .base import PathPolicy, PolicyConfigError, valid_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .base import PolicyFactory


def split_spec(spec: str) -> tuple[str, str | None]:
    """``"data-roots:/f"`` -> ``("data-roots", "/f")``; ``"seamless"`` -> ``("seamless", None)``."""
    name, colon, argument = spec.partition(":")
    if not valid_name(name):
        raise PolicyConfigError(
            f"invalid policy name {name!r} (lowercase letters, digits and '-', starting with a letter)"
        )
    return name, (argument if colon else None)


def builtin_factory(name: str) -> PolicyFactory | None:
    """The factory of a built-in policy, or None if ``name`` is not built in."""
    if name == "data-roots":
        from . import data_roots

        return data_roots.factory
    if name in ("seamless", "marker", "permissive"):
        from . import markers

        return {
            "seamless": markers.seamless_factory,
            "marker": markers.marker_factory,
            "permissive": markers.permissive_factory,
        }[name]
    return None


def build(spec: str) -> PathPolicy:
    """The policy selected by ``spec``; built-in names without pluggy, others via the registry."""
    name, argument = split_spec(spec)
    factory = builtin_factory(name)
    if factory is None:
        from .registry import load_registry

        factory = load_registry().factory(name)
    policy = factory(argument)
    if not isinstance(policy, PathPolicy):
        raise PolicyConfigError(f"path policy {name!r} did not return a PathPolicy")
    policy.spec = spec if not policy.spec else policy.spec
    return policy
