"""Host names in a launcher configuration (``hostname``, ``ssh_hostname``, ``network_interface``).

A host is an IP literal or a DNS name: at most 253 characters, an optional trailing dot, and
dot-separated labels of 1-63 letters, digits and hyphens that neither start nor end with a
hyphen. That excludes ``user@host`` (the user belongs in ``~/.ssh/config``), underscores, and
interface names such as ``eth0:1``; every such value reaches ``ssh`` or a URL, where it would
be misread.

Every IPv4 literal is also a valid DNS name by these rules, so ``ipaddress`` (a few
milliseconds to import) is only consulted for values with a colon, i.e. IPv6 candidates.
"""

from __future__ import annotations

_LABEL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63


def is_ipv6(host: str) -> bool:
    """True for an IPv6 literal (optionally with a ``%zone``), without brackets."""
    if ":" not in host:
        return False
    import ipaddress

    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def is_dns_name(host: str) -> bool:
    """True for a syntactically valid DNS name (which includes every dotted-quad IPv4 literal)."""
    if not host or len(host) > MAX_HOST_LENGTH:
        return False
    labels = (host[:-1] if host.endswith(".") else host).split(".")
    for label in labels:
        if not label or len(label) > MAX_LABEL_LENGTH or not _LABEL_CHARS.issuperset(label):
            return False
        if label[0] == "-" or label[-1] == "-":
            return False
    return True


def is_host(host: str) -> bool:
    """True if ``host`` may be used as ``hostname``, ``ssh_hostname`` or ``network_interface``."""
    return is_dns_name(host) or is_ipv6(host)


def url_host(host: str) -> str:
    """``host`` as it must appear in a URL authority: IPv6 literals in brackets (RFC 3986),
    a zone separator ``%`` escaped as ``%25`` (RFC 6874)."""
    if host.startswith("["):
        return host
    if is_ipv6(host):
        return "[" + host.replace("%", "%25") + "]"
    return host


def url_authority(host: str, port: int) -> str:
    """``host:port`` for a URL, with IPv6 literals bracketed (0.4.5 produced ``::1:8000``)."""
    return f"{url_host(host)}:{port}"
