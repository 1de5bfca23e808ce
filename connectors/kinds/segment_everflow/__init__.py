"""Segment → Everflow: mapped track events become server-to-server conversion postbacks, and
refunds reject the conversion they refund (:mod:`.build`; sending and Everflow's answers:
:mod:`.client`)."""

from connectors.kinds.base import Direction, Kind
from connectors.kinds.segment_everflow.build import everflow_build
from connectors.kinds.segment_everflow.client import everflow_interpret, everflow_prepare
from connectors.kinds.segment_everflow.fields import FIELDS
from connectors.kinds.segment_everflow.samples import SAMPLES, sandbox_connector
from connectors.kinds.segment_spec import segment_parse

KIND = Kind(
    key="segment_everflow",
    label="Segment → Everflow",
    description="Sends Segment track events named in the event mapping to Everflow as server-to-server "
    "conversions (base conversion or brand event), with the properties Everflow's Segment integration "
    "defines under the postback's own parameter names; refunds and cancellations reject the click's "
    "conversion through Everflow's API.",
    fields=FIELDS,
    parse=segment_parse,
    build=everflow_build,
    prepare=everflow_prepare,
    interpret=everflow_interpret,
    samples=SAMPLES,
    directions=(Direction.IN,),
    sandbox_upstreams=("everflow",),
    sandbox_connector=sandbox_connector,
)
