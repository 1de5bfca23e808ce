"""Which addresses a destination may have: public ones only, so a connector's URL cannot reach
the platform's own network (a cloud metadata service, the database, an admin port).

One rule for both moments it is checked: when a URL is saved (``connectors.kinds.validation``)
and when a call connects (``events.delivery.http``, to the address just resolved: DNS can change). The
sandbox upstreams live on 127.0.0.1, so ``OUTBOUND_ALLOW_LOOPBACK`` (default: ``SANDBOX_ENABLED``)
lets loopback through; nothing else non-public is ever allowed.
"""

import ipaddress
import socket
from collections.abc import Callable

from django.conf import settings
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Most specific first: 127.0.0.1 is also "private" to the ipaddress module, but "loopback" says more.
_CATEGORIES: tuple[tuple[str, Callable[[Address], bool]], ...] = (
    ("unspecified", lambda ip: ip.is_unspecified),
    ("loopback", lambda ip: ip.is_loopback),
    ("link-local", lambda ip: ip.is_link_local),
    ("multicast", lambda ip: ip.is_multicast),
    ("reserved", lambda ip: ip.is_reserved),
    ("private", lambda ip: ip.is_private or getattr(ip, "is_site_local", False)),
    # Shared address space (carrier NAT), NAT64, 6to4 relays...: requests-hardened's list.
    ("not public", lambda ip: not ip.is_global or any(ip in net for net in EXTRA_BLOCKED_NET_RANGES)),
)


def loopback_allowed() -> bool:
    """``OUTBOUND_ALLOW_LOOPBACK``, or when it is not set, whether the sandbox is mounted."""
    allowed: bool | None = settings.OUTBOUND_ALLOW_LOOPBACK
    sandbox: bool = settings.SANDBOX_ENABLED
    return sandbox if allowed is None else allowed


def address_refusal(ip: Address, *, allow_loopback: bool) -> str:
    """The one error said for an address refused, whatever listens there; "" when allowed.

    An IPv4 address written as IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address it is.
    """
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_loopback and ip.is_loopback:
        return ""
    category = next((name for name, test in _CATEGORIES if test(ip)), "")
    return f"Destination address {ip} is {category}; refused." if category else ""


def host_refusal(host: str, port: int, *, allow_loopback: bool) -> str:
    """``address_refusal`` of the first address ``host`` resolves to that is refused; "" when every
    address is allowed or the name does not resolve (yet: connecting checks again)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return ""
    for *_, sockaddr in found:
        refusal = address_refusal(ipaddress.ip_address(sockaddr[0]), allow_loopback=allow_loopback)
        if refusal:
            return refusal if _is_address(host) else f"{refusal[:-1]} ({host} resolves to it)."
    return ""


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
