"""Segment → Perkville: allow-listed track events and mapped Engage audience entries earn
Perkville points (:mod:`.build`; sending and Perkville's answers: :mod:`.client`)."""

from connectors.kinds.base import Direction, Kind
from connectors.kinds.segment_perkville.build import perkville_build
from connectors.kinds.segment_perkville.client import perkville_interpret, perkville_prepare
from connectors.kinds.segment_perkville.fields import FIELDS
from connectors.kinds.segment_perkville.samples import SAMPLES, sandbox_connector
from connectors.kinds.segment_spec import segment_parse

KIND = Kind(
    key="segment_perkville",
    label="Segment → Perkville",
    description="Awards Perkville points for allow-listed Segment track events (spend transactions by order "
    "revenue, Order Refunded and the listed refund events remove points, other events earn 1), and "
    "optionally for Engage audience entries.",
    fields=FIELDS,
    parse=segment_parse,
    build=perkville_build,
    prepare=perkville_prepare,
    interpret=perkville_interpret,
    samples=SAMPLES,
    directions=(Direction.IN,),
    sandbox_upstreams=("perkville",),
    sandbox_connector=sandbox_connector,
)
