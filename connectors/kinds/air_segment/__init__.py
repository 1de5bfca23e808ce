"""Eagle Eye AIR ⇄ Segment (being built: parse/build/prepare land with the kind's own issue)."""

from connectors.kinds.air_segment.fields import FIELDS
from connectors.kinds.base import FieldError, Kind, PayloadInvalid


def _not_yet(*args, **kwargs):
    raise PayloadInvalid([FieldError("", "This connector kind does not accept events yet")])


KIND = Kind(
    key="air_segment",
    label="Eagle Eye AIR ⇄ Segment",
    description="",
    fields=FIELDS,
    parse=_not_yet,
    build=_not_yet,
    prepare=_not_yet,
)
