"""Refunds and cancellations: reject the refunded conversion through Everflow's REST API.

A postback can only add a conversion, so a refund sent as one would count as a second sale.
Everflow's Network API changes a conversion's status instead (developers.everflow.io, "Update
Conversion Status by Transaction ID"): ``PATCH {api}/v1/networks/reporting/conversions/
{transactionId}`` with ``{"conversion_status": "rejected"}`` (``approved`` and ``rejected`` are the
only values), authenticated by the ``X-Eflow-API-Key`` header, answering ``{"result": true}``. It
rejects every conversion of that click. Adjusting a sale amount instead ("Update Conversion Sale
Amount") needs the conversion's own id, which the Segment message does not carry, so a partial
refund also rejects the conversion; the README says so.
"""

from urllib.parse import quote

# Segment's e-commerce spec: "Order Refunded" and "Order Cancelled" end an order's sale.
REFUND_FAMILY = ("Order Refunded", "Order Cancelled")
CONVERSIONS_PATH = "/v1/networks/reporting/conversions/"
REJECTED = {"conversion_status": "rejected"}


def everflow_refund_names(setting: object) -> frozenset[str]:
    """The event names that refund: the e-commerce spec's, and those staff list (comma-separated)."""
    listed = setting.split(",") if isinstance(setting, str) else []
    return frozenset(name.strip().casefold() for name in (*REFUND_FAMILY, *listed) if name.strip())


def everflow_is_refund(event_name: str, *, setting: object) -> bool:
    return event_name.strip().casefold() in everflow_refund_names(setting)


def everflow_reject_url(api_base_url: str, transaction_id: str) -> str:
    return f"{api_base_url.rstrip('/')}{CONVERSIONS_PATH}{quote(transaction_id, safe='')}"
