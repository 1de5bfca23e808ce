"""Throughput of AIR → Segment translation on one core: parse + default mapping + build.

Run: ``.venv/bin/python -m bench.translation [events]``. The events are real-sized SETTLE
notifications: the kind's sample grown to 24 products and 6 redeemed coupons, each basket line
carrying the per-line results AIR adds (contribution, adjudication, qualification), and the request
body repeated as a string, as AIR does, so each is tens of KB like the published samples.
"""

import copy
import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from connectors.kinds.air_segment import KIND  # noqa: E402
from connectors.kinds.base import ConnectorConfig, Direction  # noqa: E402
from events.rules.mapping import messages_render  # noqa: E402

TARGET_PER_SECOND = 5_000
CONFIG = ConnectorConfig(
    connector_id="bench",
    settings={
        "currency": "GBP",
        "identity_type": "CUSTOMER_ID",
        "segment_region": "US",
        "send_identify": True,
    },
    secrets={},
)


def _line_results(index: int) -> dict:
    return {
        "contributionResults": [{"instanceId": f"10064{n:04d}-1", "value": index + n} for n in range(4)],
        "adjudicationResults": [
            {
                "resourceType": "CAMPAIGN",
                "resourceId": f"10064{index:04d}",
                "instanceId": f"10064{index:04d}-1",
                "success": True,
                "type": kind,
                "value": 100,
                "balances": None,
                "isRefundable": True,
                "isUnredeemable": False,
                "relatedAccountIds": [f"40938{index:05d}"],
                "targetedAccountId": f"40938{index:05d}",
                "targetedWalletId": "900000001",
                "totalMatchingUnits": 1,
                "playOrderPosition": 3,
            }
            for kind in ("redeem", "credit")
        ],
        "qualifiesResults": [
            {"instanceId": f"10064{index:04d}-1", "totalMatchingUnits": 1, "totalMatchingSpend": 1}
        ],
    }


def settle_make(*, number: int, products: int = 24, coupons: int = 6) -> dict:
    payload = copy.deepcopy(KIND.samples[Direction.OUT]["POSCONNECT.WALLET.SETTLE"])
    payload["headers"]["eesEventId"] = f"bench-{number:08d}"
    operations = payload["atomicOperations"]
    transaction = operations[-1]["objectValue"]
    item = transaction["basket"]["contents"][0]
    transaction["basket"]["contents"] = [
        {
            **item,
            "upc": f"{index:06d}",
            "description": f"Product {index}",
            "itemUnitCost": 100 + index,
            **_line_results(index),
        }
        for index in range(products)
    ]
    coupon = operations[1]
    operations[1:3] = [copy.deepcopy(coupon) for _ in range(coupons)]
    for index, operation in enumerate(operations[1 : 1 + coupons]):
        operation["objectValue"]["account"]["accountId"] = f"70000{index:05d}"
    payload["request"]["body"] = json.dumps({"basket": transaction["basket"]})
    return payload


def main(count: int) -> None:
    rules = KIND.default_rules[Direction.OUT]
    events = [settle_make(number=number) for number in range(min(count, 200))]
    size = len(json.dumps(events[0]))
    started = time.perf_counter()
    for number in range(count):
        [event] = KIND.parse(Direction.OUT, events[number % len(events)], CONFIG)
        messages = messages_render(rules, event_type=event.event_type, context=event.context)
        translation = KIND.build(Direction.OUT, event, messages, CONFIG)
        assert translation.requests, translation
    elapsed = time.perf_counter() - started
    per_second = count / elapsed
    print(f"{count} SETTLE notifications of {size / 1024:.1f} KB")
    print(
        f"{per_second:,.0f} events/second, {elapsed / count * 1e6:,.0f} µs per event "
        f"(target {TARGET_PER_SECOND:,}/s)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000)
