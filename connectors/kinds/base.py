"""The contract between the pipeline and a connector kind.

A kind is a folder under ``connectors/kinds`` that declares a :class:`Kind`: its settings schema and
the few functions the pipeline calls. The pipeline (``events``) owns storage, retries and the
mapping engine; a kind owns everything that knows a remote system's wire format:

``parse``
    raw webhook body → one or more :class:`IncomingEvent` (flat, documented *context*), or raise
    :class:`PayloadInvalid` naming each bad field (:class:`PartlyInvalid` when some parts of the
    body, such as a batch's messages, are usable and the others are refused alone).
``build``
    an event's context, plus the messages the mapping rules produced from it (CDP-bound
    directions only) → a :class:`Translation`: the requests to send, or why nothing is sent.
``prepare``
    an :class:`OutboundRequest` plus the connector's settings and secrets → the exact bytes and
    headers to send (authentication happens here, at send time, so secrets are never stored in
    the delivery log).
``interpret``
    an HTTP response → :class:`Outcome` where the remote API has its own meaning for a status
    (AIR's 404 "identity not found"); ``None`` leaves the generic classification.
``merge`` (optional)
    several requests to one target → fewer :class:`MergedRequest` carrying them, when the remote
    API takes many items in one call (Segment's ``/v1/batch``). Without it each is sent alone.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# One Direction for the platform (core.direction), named here so a kind needs only this module.
from core.direction import Direction as Direction

# HTTP statuses a destination answers that are worth another attempt (ARCHITECTURE.md §4): these
# 4xx and every 5xx but these. The retry policy (events.delivery.policy) and every kind's reading of its
# partner's answers use them, so the two never disagree about what is retried.
RETRYABLE_4XX = frozenset({408, 425, 429})
TERMINAL_5XX = frozenset({501, 505})


class FieldType(enum.StrEnum):
    STRING = "string"
    SECRET = "secret"  # noqa: S105 - a field type name, not a password
    URL = "url"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    CURRENCY = "currency"
    INTEGER = "integer"
    MAPPING = "mapping"  # a JSON object, e.g. event name → Everflow event id


@dataclass(frozen=True)
class SettingField:
    key: str
    label: str
    type: FieldType = FieldType.STRING
    required: bool = True
    default: Any = None
    choices: tuple[tuple[str, str], ...] = ()
    help_text: str = ""

    @property
    def is_secret(self) -> bool:
        return self.type is FieldType.SECRET


@dataclass(frozen=True)
class ConnectorConfig:
    """What a kind may know of one connector: no ORM object, so kinds stay free of the database."""

    connector_id: str
    settings: Mapping[str, Any]
    secrets: Mapping[str, str]
    sandbox_enabled: bool = False
    # Why ``secrets`` is empty when the stored ones cannot be decrypted; the pipeline holds deliveries with it.
    secrets_unreadable: str = ""


@dataclass(frozen=True)
class SandboxSite:
    """The sandbox as a kind sees it: where each upstream answers (``/sandbox/<name>``) and the
    credentials each accepts, by upstream name. ``connectors.sandbox`` fills it, so that no kind
    imports the sandbox."""

    urls: Mapping[str, str]
    credentials: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class SandboxConnector:
    """A connector of a kind pointed at the sandbox (the demo's): its name, settings and secrets."""

    name: str
    settings: dict[str, Any]
    secrets: dict[str, str]


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str


class PayloadInvalid(Exception):
    """The body cannot be used. Answered 400 with every error and stored nowhere."""

    def __init__(self, errors: Sequence[FieldError], message: str = "Validation error"):
        super().__init__(message)
        self.message = message
        self.errors = list(errors)


@dataclass(frozen=True)
class RefusedPart:
    """One unusable part of a body whose other parts are usable (a bad message of a Segment batch).

    ``index`` is its place in the body, ``raw`` the part as sent, ``errors`` why it is refused;
    ``event_type`` and ``identity`` are what could be read of it, for support to find it by.
    """

    index: int
    raw: Any
    errors: tuple[FieldError, ...]
    event_type: str = ""
    identity: str = ""


class PartlyInvalid(PayloadInvalid):
    """Some parts of the body are usable (``accepted``: each with its index), others not (``refused``).

    The pipeline receives the usable ones and records each refused one; a caller that needs the
    whole body usable treats it as any :class:`PayloadInvalid`.
    """

    def __init__(self, *, accepted: Sequence[tuple[int, IncomingEvent]], refused: Sequence[RefusedPart]):
        super().__init__([error for part in refused for error in part.errors])
        self.accepted = list(accepted)
        self.refused = list(refused)


class Unauthenticated(Exception):
    """A kind-specific authentication (e.g. a webhook signature) failed. Answered 401/403."""

    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class IncomingEvent:
    """One event parsed from a webhook body, before it is stored.

    ``source_event_id`` is the sender's own id (AIR ``headers.eesEventId``, Segment ``messageId``,
    Voucherify envelope id); empty when the sender has none, and the pipeline then uses a hash of
    the canonical body. ``identity`` is what support searches by (a customer id, an email).
    """

    event_type: str
    source_event_id: str
    identity: str
    occurred_at: datetime | None
    context: dict[str, Any]
    raw: Any = None  # the part of the body this event came from (a batch yields several)


@dataclass(frozen=True)
class OutboundRequest:
    """One request to one destination, as stored on a Delivery (no secrets, no signatures)."""

    destination: str  # "segment", "air", "voucherify", "everflow", "perkville"
    method: str
    url: str
    body: Any
    idempotency_key: str
    notes: str = ""  # shown to support, e.g. metadata keys dropped by the schema filter


@dataclass(frozen=True)
class Translation:
    requests: list[OutboundRequest] = field(default_factory=list)
    ignored: str = ""  # why nothing is sent, and that is fine (an unmapped event type)
    failed: str = ""  # why nothing can be sent, and support must see it (no identity of the type)


@dataclass(frozen=True)
class MergedRequest:
    """One request to send that carries the given requests at ``parts`` (their indices)."""

    request: OutboundRequest
    parts: tuple[int, ...]


@dataclass(frozen=True)
class PreparedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def json_request_prepare(request: OutboundRequest, headers: Mapping[str, str]) -> PreparedRequest:
    """A partner's JSON call: the stored request's body as compact JSON, sent with the JSON headers
    and the partner's own (its authentication, added here at send time, never stored)."""
    return PreparedRequest(
        method=request.method,
        url=request.url,
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
        body=json.dumps(request.body, separators=(",", ":")).encode(),
    )


class OutcomeKind(enum.StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    TERMINAL = "terminal"


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    reason: str = ""
    result: Mapping[str, Any] | None = None  # what the remote returned that we keep (AIR's transaction id)


@dataclass(frozen=True)
class RewardRequest:
    """What one incoming event asks to be rewarded, read by its kind, for the reward ledger.

    ``triggers`` are the reward references in the order sent, ``trigger_paths`` where each was in
    the body (to name it in an error); ``reference`` is the sender's own reference for the reward
    ("" when it sent none); ``window_key`` what "the same identity and triggers" is for a
    connector's repeat window.
    """

    identity: str
    triggers: tuple[str, ...]
    trigger_paths: tuple[str, ...]
    reference: str
    window_key: str


@dataclass(frozen=True)
class RewardAward:
    """What the loyalty engine says it awarded, in its answer to a request or a later notification.

    ``reference`` is the request's reference a notification names ("" in an answer);
    ``already_processed`` that the engine already held the request, so what it awarded comes
    with its notification instead.
    """

    reference: str = ""
    transaction_id: str = ""
    points: int | None = None
    coupons: tuple[Mapping[str, Any], ...] = ()
    already_processed: bool = False


@dataclass(frozen=True)
class RewardHandling:
    """What of a kind's traffic belongs to the reward ledger: the inbound events of ``request_type``
    ask for a reward, sent by their deliveries to ``destination``; the engine's answer to such a
    delivery and its outbound notification of ``notification_type`` say what it awarded.

    The readers turn the kind's contexts and answers into plain values, so the pipeline and the
    ledger know nothing of its wire format. ``refuse_unknown_setting`` and ``window_setting``
    name the kind's settings that refuse trigger references the connector does not know, and
    count the same identity and triggers once within that many seconds ("" when it has none).
    """

    request_type: str
    destination: str
    request_read: Callable[[IncomingEvent], RewardRequest]
    answer_read: Callable[[Mapping[str, Any]], RewardAward] = lambda result: RewardAward()
    notification_type: str = ""
    notification_read: Callable[[IncomingEvent], RewardAward] = lambda event: RewardAward()
    refuse_unknown_setting: str = ""
    window_setting: str = ""


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    description: str
    fields: tuple[SettingField, ...]
    parse: Callable[[Direction, Any, ConnectorConfig], list[IncomingEvent]]
    build: Callable[[Direction, IncomingEvent, list[dict[str, Any]], ConnectorConfig], Translation]
    prepare: Callable[[OutboundRequest, ConnectorConfig], PreparedRequest]
    interpret: Callable[[OutboundRequest, int, Mapping[str, str], bytes], Outcome | None] = (
        lambda request, status, headers, body: None
    )
    # Mapping rules in the events app's rule form, per direction that is CDP-bound.
    default_rules: Mapping[Direction, list[dict[str, Any]]] = field(default_factory=dict)
    # Authenticates a webhook by something other than X-Auth-Token (Voucherify's signature).
    authenticate: Mapping[Direction, Callable[[bytes, Mapping[str, str], ConnectorConfig], None]] = field(
        default_factory=dict
    )
    # The sandbox upstreams that play the kind's partners, by name (each played by
    # connectors/sandbox/<name>.py; the kinds' names are the sandbox's list), and a connector of
    # the kind pointed at them, given where they are: the demo's.
    sandbox_upstreams: tuple[str, ...] = ()
    sandbox_connector: Callable[[SandboxSite], SandboxConnector] | None = None
    # Sample payloads per direction, for the admin's "send a test event" and the mapping preview.
    samples: Mapping[Direction, Mapping[str, Any]] = field(default_factory=dict)
    # A copy of a sample that the kind takes as a new event (its sender ids renewed), for a test
    # event sent twice. Without it, the pipeline renews the source ids ``parse`` finds in the sample.
    sample_renew: Callable[[Direction, Any], Any] | None = None
    # Given requests to one target (destination, method, url), in order: the requests to send
    # instead, each naming the given ones it carries; every given index appears in exactly one.
    # A request that cannot be merged comes back alone as (itself, (index,)).
    merge: Callable[[Sequence[OutboundRequest]], list[MergedRequest]] | None = None
    # The webhook URLs the kind answers: a one-way kind (Segment → a partner) has no outbound
    # URL, which then answers 404 and is neither shown nor given a token.
    directions: tuple[Direction, ...] = (Direction.IN, Direction.OUT)
    # Which of its events request rewards and what its partner says was awarded; None: the kind
    # has nothing for the reward ledger.
    rewards: RewardHandling | None = None

    @property
    def secret_fields(self) -> tuple[SettingField, ...]:
        return tuple(f for f in self.fields if f.is_secret)

    @property
    def setting_fields(self) -> tuple[SettingField, ...]:
        return tuple(f for f in self.fields if not f.is_secret)
