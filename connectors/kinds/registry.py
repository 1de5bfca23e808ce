"""The explicit list of connector kinds. A kind's key names its admin choice and its fixtures."""

from functools import cache

from connectors.kinds.base import Kind


@cache
def kinds() -> dict[str, Kind]:
    from connectors.kinds import air_segment, segment_everflow, segment_perkville, voucherify_segment

    return {kind.key: kind for kind in (
        air_segment.KIND,
        voucherify_segment.KIND,
        segment_everflow.KIND,
        segment_perkville.KIND,
    )}


def kind_get(key: str) -> Kind:
    return kinds()[key]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.key, kind.label) for kind in kinds().values()]
