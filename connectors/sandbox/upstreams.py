"""The sandbox upstreams: the partners the kinds name, each played by the module named after it.

Every kind declares the upstreams that play its partners (``Kind.sandbox_upstreams``); the list of
upstreams is theirs, in the kinds' order, and nothing else lists them. The upstream ``<name>`` is
played by ``connectors/sandbox/<name>.py``, which declares it as ``UPSTREAM``: its name (the first
part of its URLs and the value stored on what it received), its label, the credentials it accepts
and its URL patterns. The URL table, the models' choices, the management commands, the demo's
connectors and the end-to-end tests' resets all read :func:`upstreams`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver

from connectors.kinds.base import SandboxSite
from connectors.kinds.registry import kinds


@dataclass(frozen=True)
class SandboxUpstream:
    name: str
    label: str
    # What a connector pointed at it must present, by name (from credentials.py).
    credentials: Mapping[str, str]
    urls: Sequence[URLPattern | URLResolver]
    # It keeps each message once per id (SandboxSegmentMessage), listed with what it received.
    keeps_messages: bool = False


def upstream_get(name: str) -> SandboxUpstream:
    # Imported when first asked for: the upstreams' modules use the models, whose choices read this list.
    module = f"{__package__}.{name}"
    wanted = (
        f"A kind names the sandbox upstream {name!r}: connectors/sandbox/{name}.py must declare "
        f"UPSTREAM = SandboxUpstream(name={name!r}, …)."
    )
    try:
        upstream = getattr(import_module(module), "UPSTREAM", None)
    except ModuleNotFoundError as missing:
        if missing.name != module:
            raise
        raise ImproperlyConfigured(wanted) from None
    if not isinstance(upstream, SandboxUpstream) or upstream.name != name:
        raise ImproperlyConfigured(wanted)
    return upstream


@cache
def upstreams() -> dict[str, SandboxUpstream]:
    names = dict.fromkeys(name for kind in kinds().values() for name in kind.sandbox_upstreams)
    return {name: upstream_get(name) for name in names}


def upstream_choices() -> list[tuple[str, str]]:
    return [(name, upstream.label) for name, upstream in upstreams().items()]


def sandbox_site(base_url: str) -> SandboxSite:
    """The sandbox as the kinds see it when the platform answers at ``base_url``: where each
    upstream is and the credentials each accepts."""
    return SandboxSite(
        urls={name: f"{base_url}/sandbox/{name}" for name in upstreams()},
        credentials={name: dict(upstream.credentials) for name, upstream in upstreams().items()},
    )
