"""The sandbox upstreams: the one list of the partners the sandbox plays, one line each.

An upstream is a module of this package that plays one partner's API under ``/sandbox/<name>/`` and
declares itself as ``UPSTREAM``: its name (the first part of its URLs, the value stored on what it
received, and what a kind names in ``Kind.sandbox_upstreams``), its label, the credentials it
accepts and its URL patterns. The URL table, the models' choices, the management commands, the
demo's connectors and the end-to-end tests' resets all read this list, so a new upstream is its
module plus its line in :func:`upstreams`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from django.urls import URLPattern, URLResolver

from connectors.kinds.base import SandboxSite


@dataclass(frozen=True)
class SandboxUpstream:
    name: str
    label: str
    # What a connector pointed at it must present (setting name → value), from credentials.py.
    credentials: Mapping[str, str]
    urls: Sequence[URLPattern | URLResolver]
    # It keeps each message once per id (SandboxSegmentMessage), listed with what it received.
    keeps_messages: bool = False


@cache
def upstreams() -> dict[str, SandboxUpstream]:
    # Imported when first asked for: the upstreams' modules use the models, whose choices read this list.
    from connectors.sandbox import air, everflow, perkville, segment, voucherify

    return {upstream.name: upstream for upstream in (
        air.UPSTREAM,
        segment.UPSTREAM,
        voucherify.UPSTREAM,
        everflow.UPSTREAM,
        perkville.UPSTREAM,
    )}


def upstream_choices() -> list[tuple[str, str]]:
    return [(name, upstream.label) for name, upstream in upstreams().items()]


def sandbox_site(base_url: str) -> SandboxSite:
    """The sandbox as the kinds see it when the platform answers at ``base_url``: where each
    upstream is and the credentials each accepts."""
    return SandboxSite(
        urls={name: f"{base_url}/sandbox/{name}" for name in upstreams()},
        credentials={name: dict(upstream.credentials) for name, upstream in upstreams().items()},
    )
