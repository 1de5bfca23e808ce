"""Segment → Everflow (being built: parse/build/prepare land with the kind's own issue)."""

from connectors.kinds.segment_everflow.fields import FIELDS
from connectors.kinds.base import FieldError, Kind, PayloadInvalid


def _not_yet(*args, **kwargs):
    raise PayloadInvalid([FieldError("", "This connector kind does not accept events yet")])


KIND = Kind(
    key="segment_everflow",
    label="Segment → Everflow",
    description="",
    fields=FIELDS,
    parse=_not_yet,
    build=_not_yet,
    prepare=_not_yet,
)
