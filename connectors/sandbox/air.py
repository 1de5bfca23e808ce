"""Sandbox Eagle Eye AIR wallet API, mounted at ``/sandbox/air``.

Follows EE's API authentication page and its behavioural-action trigger page
(developer.eagleeye.com/eagleeye-developer/docs/api-authentication, …/behavioral-action-trigger),
the trigger body as Segment's Eagle Eye destination builds it (segmentio/action-destinations,
``eagleeye-audiences/triggerBehavioralAction/types.ts``: ``identityValue`` text, optional
``walletTransaction.reference`` text, ``triggers[].reference`` text) and EE's own client of AIR
(Eagle-Eye-Solutions/integration-events-common, ``src/common/ee-air-client/ee-air-client.ts``: 400,
401 and 404 are permanent answers), as summarised with their sources in spec/segment-air.md §4.1,
§4.3.

``POST /services/trigger`` behaves like AIR's behavioural-action trigger:

- Another method → 405 with ``Allow: POST``; any other path under the mount → 404 ``NOT_FOUND``
  (what AIR answers a client that called the wrong path: a 404, which EE's client reads as an
  unknown identity).
- ``X-EES-AUTH-CLIENT-ID`` must be ``credentials.AIR_CLIENT_ID`` and ``X-EES-AUTH-HASH`` the
  SHA-256 of the request path *as received* (so including the ``/sandbox/air`` prefix) plus its
  query string, the exact body bytes and ``credentials.AIR_CLIENT_SECRET``; otherwise 401.
- The body needs ``identityValue`` (non-empty text), at least one trigger, each an object with a
  non-empty text ``reference``, and ``walletTransaction`` an object with a non-empty text
  ``reference``; otherwise 400 naming every bad field. A misspelled key (``identityvalue``,
  ``walletTransaction.Reference``) leaves its field missing, so it is refused like a missing one.
  Keys AIR does not use are not refused: no source shows AIR refusing them, and EE's own schemas of
  this body (zod, in integration-events-common) drop unknown keys rather than refuse them.
- **Sandbox rule:** an ``identityValue`` beginning with ``unknown`` is a customer AIR does not know:
  404, which AIR callers treat as permanent.
- Otherwise 201 with a settled ``BEHAVIOURAL_ACTION_POINTS`` wallet transaction that credits
  ``POINTS_PER_TRIGGER`` points per trigger, shaped like AIR's own response. The wallet id is
  derived from the identity value, so one customer keeps one wallet, and the points balance grows
  with each transaction.
- A ``walletTransaction.reference`` already used, by any wallet, is refused: 400
  ``DUPLICATE_REFERENCE`` "Wallet transaction reference '…' already exists", crediting nothing.
  AIR asks for "a unique reference" but does not publish how it answers a repeat, nor whether
  its references are unique per wallet or across the unit (spec/segment-air.md §6, question 3):
  the sandbox takes the strictest reading, a refusal across all wallets, with a status and
  message of its own that a client can only tell from other 400s by what it says.

Error bodies use AIR's ``{"errorCode", "errorMessage"}`` shape; ``NF`` (not found) is AIR's code,
the others are this sandbox's own.
"""

import hashlib
from datetime import UTC, datetime
from typing import Any

from django.urls import path, re_path

from connectors.kinds.air_segment.auth import air_auth_verify
from connectors.sandbox import views
from connectors.sandbox.credentials import AIR_CLIENT_ID, AIR_CLIENT_SECRET
from connectors.sandbox.segment import ANY_METHOD
from connectors.sandbox.services import (
    Call,
    Reply,
    sandbox_record_find,
    sandbox_record_group,
    sandbox_record_keep,
)
from connectors.sandbox.upstreams import SandboxUpstream

NAME = "air"

POINTS_PER_TRIGGER = 100
UNKNOWN_IDENTITY_PREFIX = "unknown"
_NEVER_EXPIRES = "2038-01-19T03:14:07+00:00"


def _error(status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None) -> Reply:
    body: dict[str, Any] = {"errorCode": code, "errorMessage": message}
    if errors:
        body["errors"] = errors
    return Reply(status=status, body=body)


def _duplicate(reference: str) -> Reply:
    return _error(400, "DUPLICATE_REFERENCE", f"Wallet transaction reference {reference!r} already exists.")


def _number(seed: str, *, digits: int) -> str:
    """A stable numeric id, as AIR's ids are digit strings."""
    value = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 10 ** (digits - 1)
    return str(10 ** (digits - 1) + value)


def _non_empty(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _text_error(value: Any, *, path: str, missing: str) -> dict[str, str] | None:
    if value is None:
        return {"path": path, "message": missing}
    if not isinstance(value, str):
        return {"path": path, "message": f"Must be text, not {type(value).__name__}."}
    if not value.strip():
        return {"path": path, "message": missing}
    return None


def air_trigger_errors(body: Any) -> list[dict[str, str]]:
    """Every reason the trigger body cannot be used, as ``{"path", "message"}``."""
    if not isinstance(body, dict):
        return [{"path": "", "message": "The body must be a JSON object."}]
    errors = [
        _text_error(body.get("identityValue"), path="identityValue", missing="Required: a non-empty identity value.")
    ]
    triggers = body.get("triggers")
    if triggers is not None and not isinstance(triggers, list):
        errors.append({"path": "triggers", "message": "Must be a list of triggers."})
    elif not triggers:
        errors.append({"path": "triggers", "message": "Required: at least one trigger."})
    else:
        for index, trigger in enumerate(triggers):
            if not isinstance(trigger, dict):
                errors.append({"path": f"triggers[{index}]", "message": "Must be an object with a reference."})
            else:
                errors.append(
                    _text_error(
                        trigger.get("reference"),
                        path=f"triggers[{index}].reference",
                        missing="Required: the action reference.",
                    )
                )
    transaction = body.get("walletTransaction")
    if transaction is not None and not isinstance(transaction, dict):
        errors.append({"path": "walletTransaction", "message": "Must be an object with a reference."})
    else:
        errors.append(
            _text_error(
                (transaction or {}).get("reference"),
                path="walletTransaction.reference",
                missing="Required: a unique reference.",
            )
        )
    return [error for error in errors if error is not None]


def _account(
    *, wallet_id: str, account_id: str, account_type: str, status: str, stamp: str, **extra: Any
) -> dict[str, Any]:
    return {
        "accountId": account_id,
        "walletId": wallet_id,
        "campaignId": _number(f"campaign:{account_type}:{account_id}", digits=9),
        "type": account_type,
        "clientType": "RETAILPOINTS" if account_type == "POINTS" else account_type,
        "status": status,
        "state": "LOADED",
        "dates": {"start": stamp, "end": _NEVER_EXPIRES},
        "meta": [],
        "dateCreated": stamp,
        "lastUpdated": stamp,
        "overrides": [],
        "relationships": [],
        **extra,
    }


def _account_transaction(
    *, seed: str, account: dict[str, Any], event: str, value: int, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, Any]:
    return {
        "accountTransactionId": _number(f"account-transaction:{seed}", digits=10),
        "parentAccountTransactionId": "",
        "accountId": account["accountId"],
        "account": account,
        "event": event,
        "value": value,
        "source": 1,
        "balancesBefore": before,
        "balancesAfter": after,
        "transactionDetails": [],
        "properties": [],
        "dateCreated": account["lastUpdated"],
        "lastUpdated": account["lastUpdated"],
    }


def _action_accounts(*, wallet_id: str, reference: str, trigger: str, stamp: str) -> list[dict[str, Any]]:
    """The behavioural action a trigger redeems: its account created, then redeemed for its points."""
    empty = {"available": 0, "refundable": 0}
    action_id = _number(f"action:{reference}:{trigger}", digits=10)
    entries = []
    for event, status, value in (("CREATE", "ACTIVE", 0), ("REDEEM", "USED", POINTS_PER_TRIGGER)):
        account = _account(
            wallet_id=wallet_id,
            account_id=action_id,
            account_type="BEHAVIOURAL_ACTION",
            status=status,
            stamp=stamp,
            balances=empty,
        )
        entries.append(
            _account_transaction(
                seed=f"{reference}:{trigger}:{event}",
                account=account,
                event=event,
                value=value,
                before=empty,
                after=empty,
            )
        )
    return entries


def _points_credit(*, wallet_id: str, reference: str, points: int, balance_before: int, stamp: str) -> dict[str, Any]:
    """The points account's credit of ``points``, its balance growing from ``balance_before``."""
    balance_after = balance_before + points
    points_account = _account(
        wallet_id=wallet_id,
        account_id=_number(f"points:{wallet_id}", digits=10),
        account_type="POINTS",
        status="ACTIVE",
        stamp=stamp,
        balances={
            "current": balance_after,
            "usable": balance_after,
            "lifetime": balance_after,
            "pending": 0,
            "locked": 0,
            "lifetimeSpend": 0,
            "lifetimeSpendValue": 0,
        },
    )
    return _account_transaction(
        seed=f"{reference}:points",
        account=points_account,
        event="CREDIT",
        value=points,
        before={"current": balance_before, "lifetime": balance_before},
        after={"current": balance_after, "lifetime": balance_after},
    )


def _basket(points: int) -> dict[str, Any]:
    """A trigger's basket: no contents, the points it credited in the summary."""
    return {
        "contents": None,
        "summary": {
            "points": {
                "spend": 0,
                "debit": 0,
                "refund": 0,
                "totalPointsTaken": 0,
                "earn": 0,
                "credit": points,
                "totalPointsGiven": points,
                "totalMonetaryValue": 0,
            },
            "tiers": {"points": 0, "transactions": 0, "spend": 0},
        },
        "payment": None,
    }


def air_wallet_transaction(
    *, identity_value: str, reference: str, trigger_references: list[str], balance_before: int, now: datetime
) -> dict[str, Any]:
    """The wallet transaction AIR answers for a behavioural-action trigger (pure)."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    wallet_id = _number(f"wallet:{identity_value}", digits=9)
    points = POINTS_PER_TRIGGER * len(trigger_references)
    accounts = [
        entry
        for trigger in trigger_references
        for entry in _action_accounts(wallet_id=wallet_id, reference=reference, trigger=trigger, stamp=stamp)
    ]
    accounts.append(
        _points_credit(
            wallet_id=wallet_id, reference=reference, points=points, balance_before=balance_before, stamp=stamp
        )
    )
    return {
        "walletTransactionId": _number(f"transaction:{reference}", digits=9),
        "parentWalletTransactionId": "0",
        "walletId": wallet_id,
        "reference": reference,
        "transactionDateTime": stamp,
        "transactionDateTimeOffset": "+00:00",
        "identityId": _number(f"identity:{identity_value}", digits=9),
        "identity": None,
        "type": "BEHAVIOURAL_ACTION_POINTS",
        "status": "SETTLED",
        "meta": None,
        "state": "ORIGINAL",
        "expiryDate": None,
        "accounts": accounts,
        "basket": _basket(points),
        "channel": None,
        "location": {"storeId": None, "storeParentId": None},
        "dateCreated": stamp,
        "lastUpdated": stamp,
    }


def _authenticated(call: Call) -> bool:
    presented = call.header("X-EES-AUTH-HASH")
    return (
        call.header("X-EES-AUTH-CLIENT-ID") == AIR_CLIENT_ID
        and bool(presented)
        and air_auth_verify(
            path_and_query=call.path, body=call.body, client_secret=AIR_CLIENT_SECRET, presented=presented
        )
    )


def air_services_trigger(call: Call) -> Reply:
    if call.method != "POST":
        return Reply(
            status=405,
            body={"errorCode": "METHOD_NOT_ALLOWED", "errorMessage": f"{call.method} is not allowed; use POST."},
            headers={"Allow": "POST"},
        )
    if not _authenticated(call):
        return _error(
            401, "UNAUTHORISED", "The client id or the X-EES-AUTH-HASH is not valid for this request."
        )
    try:
        body = call.json()
    except ValueError:
        return _error(400, "INVALID_JSON", "The body is not valid JSON.")
    errors = air_trigger_errors(body)
    if errors:
        return _error(400, "VALIDATION_ERROR", "Validation error", errors)
    identity_value = body["identityValue"]
    if identity_value.startswith(UNKNOWN_IDENTITY_PREFIX):
        return _error(404, "NF", f"No wallet has the identity {identity_value!r}.")
    reference = body["walletTransaction"]["reference"]
    if sandbox_record_find(upstream=NAME, key=reference) is not None:
        return _duplicate(reference)
    earlier = sandbox_record_group(upstream=NAME, group=identity_value)
    transaction = air_wallet_transaction(
        identity_value=identity_value,
        reference=reference,
        trigger_references=[trigger["reference"] for trigger in body["triggers"]],
        balance_before=sum(t["basket"]["summary"]["points"]["totalPointsGiven"] for t in earlier),
        now=datetime.now(UTC),
    )
    kept, created = sandbox_record_keep(
        upstream=NAME, key=reference, data=transaction, group=identity_value
    )
    if not created:  # a concurrent request with the same reference was kept first
        return _duplicate(reference)
    return Reply(status=201, body=kept)


def air_unknown_path(call: Call) -> Reply:
    return _error(404, "NOT_FOUND", f"No endpoint at {call.path.partition('?')[0]}.")


urls = [
    path(
        "air/services/trigger",
        views.upstream_endpoint(upstream=NAME, handle=air_services_trigger, methods=ANY_METHOD),
        name="sandbox-air-trigger",
    ),
    # Last: whatever else is asked of AIR's host (its received/behaviour pages come before).
    re_path(
        r"^air/",
        views.upstream_endpoint(upstream=NAME, handle=air_unknown_path, methods=ANY_METHOD),
        name="sandbox-air-unknown",
    ),
]

UPSTREAM = SandboxUpstream(
    name=NAME,
    label="Eagle Eye AIR",
    credentials={"client_id": AIR_CLIENT_ID, "client_secret": AIR_CLIENT_SECRET},
    urls=urls,
)
