"""Where alerts go and how they are sent: email (Django's email backend, ``EMAIL_URL``) to a client's
addresses and the operators' (``ALERT_EMAILS``), and a POST to the client's webhook URL.

The webhook URL is a destination like any connector's: validated with the same rule when saved
(public https addresses only) and sent through ``events.delivery.http`` (the address checked again when
connecting, no redirects, the total deadline). Its body is signed as Standard Webhooks (and Svix)
sign theirs, so a receiver can use their libraries to verify it::

    webhook-id: alert_42
    webhook-timestamp: 1764489600                      (Unix seconds)
    webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">

keyed with the bytes of the secret after its ``whsec_`` prefix (base64). The secret is made when a
webhook URL is first saved (or on request) and shown once; it is stored encrypted.

Each alert is sent once: a sender claims it (``notified_at``) before sending, and what happened
(sent, refused, the error) is kept on the alert. A message that could not be sent is not retried;
the alert stays on the dashboard and in the alert list with the reason.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import smtplib
import time
import uuid
from datetime import datetime
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import timezone

from connectors.kinds.base import PreparedRequest
from connectors.kinds.validation import url_error
from connectors.models import Client
from core.crypto import SecretsUnreadable, secrets_decrypt, secrets_encrypt
from events.alert_models import Alert, AlertChannel
from events.delivery.http import http_send

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix Standard Webhooks secrets carry, not a secret
RESPONSE_KEPT = 300  # characters of a refusing answer kept on the alert


class AlertChannelInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def alert_channel_validate(*, emails: str, webhook_url: str) -> tuple[list[str], str]:
    """The addresses (one a line, or separated by commas) and the URL, cleaned; raises
    ``AlertChannelInvalid`` naming each field that is wrong."""
    errors = {}
    addresses = [address for address in re.split(r"[\s,;]+", emails) if address]
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            errors["emails"] = f"{address!r} is not an email address."
            break
    url = webhook_url.strip()
    problem = url_error(url, sandbox_enabled=settings.SANDBOX_ENABLED) if url else ""
    if problem:
        errors["webhook_url"] = problem
    if errors:
        raise AlertChannelInvalid(errors)
    return list(dict.fromkeys(addresses)), url


def alert_channel_save(
    *, client: Client, emails: str, webhook_url: str, active: bool = True, new_secret: bool = False
) -> tuple[AlertChannel, str]:
    """Create or change the client's channel. Returns it and the webhook's signing secret when one
    was made (the first time a webhook URL is saved, or ``new_secret``), to be shown once; else "".
    A channel without a webhook URL keeps no secret."""
    addresses, url = alert_channel_validate(emails=emails, webhook_url=webhook_url)
    channel = AlertChannel.objects.filter(client=client).first() or AlertChannel(client=client)
    secret = ""
    if url and (new_secret or not channel.webhook_secret_encrypted):
        secret = SECRET_PREFIX + base64.b64encode(os.urandom(24)).decode()
        channel.webhook_secret_encrypted = secrets_encrypt({"webhook_secret": secret})
    elif not url:
        channel.webhook_secret_encrypted = ""
    channel.emails = "\n".join(addresses)
    channel.webhook_url = url
    channel.active = active
    channel.save()
    return channel, secret


def alert_webhook_signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _console_url(alert: Alert) -> str:
    if alert.condition in (Alert.Condition.FAILURE_RATE, Alert.Condition.DELIVERIES_FAILED) and alert.connector_id:
        path = f"{reverse('admin:events_delivery_changelist')}?connector={alert.connector_id}&status=failed"
    elif alert.condition == Alert.Condition.CIRCUIT_OPEN and alert.connector_id:
        path = reverse("admin:events_connectorhealth_change", args=[alert.connector_id])
    elif alert.pk:
        path = reverse("admin:events_alert_change", args=[alert.pk])
    else:
        path = reverse("admin:index")
    base: str = settings.PUBLIC_BASE_URL
    return base + path


def _payload(alert: Alert, message_id: str, now: datetime) -> dict[str, Any]:
    return {
        "type": f"alert.{alert.condition}",
        "timestamp": now.isoformat(),
        "data": {
            "id": message_id,
            "condition": alert.condition,
            "title": alert.title,
            "detail": alert.detail,
            "client": alert.client.slug if alert.client else None,
            "connector": str(alert.connector.public_id) if alert.connector else None,
            "connector_name": str(alert.connector) if alert.connector else None,
            "window_start": alert.window_start.isoformat(),
            "window_end": alert.window_end.isoformat(),
            "figures": alert.figures,
            "console_url": _console_url(alert),
        },
    }


def _email(alert: Alert, recipients: list[str]) -> str:
    if not recipients:
        return ""
    body = f"{alert.title}\n\n{alert.detail}\n\nIn the console: {_console_url(alert)}\n"
    try:
        send_mail(f"[EE Connect] {alert.title}", body, None, recipients)
    except (OSError, smtplib.SMTPException) as exc:
        return f"Not sent: {exc.__class__.__name__}: {exc}"
    return f"Sent to {', '.join(recipients)}"


def _webhook(alert: Alert, channel: AlertChannel | None, message_id: str, now: datetime) -> str:
    if channel is None or not channel.webhook_url:
        return ""
    try:
        secret = secrets_decrypt(channel.webhook_secret_encrypted)["webhook_secret"]
    except (SecretsUnreadable, KeyError):
        return "Not sent: the webhook's signing secret cannot be read (ENCRYPTION_KEYS); make a new one."
    body = json.dumps(_payload(alert, message_id, now), sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": alert_webhook_signature(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }
    try:
        response = http_send(PreparedRequest("POST", channel.webhook_url, headers, body), body_limit=RESPONSE_KEPT)
    except requests.RequestException as exc:  # refused address, timeout, network error: never sent or no answer
        return f"Not sent: {exc.__class__.__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return f"Delivered: HTTP {response.status_code}"
    answer = response.content.decode(errors="replace").strip()
    return f"Refused: HTTP {response.status_code} {answer}".strip()


def _channel(alert: Alert) -> AlertChannel | None:
    if not alert.client_id:
        return None
    return AlertChannel.objects.filter(client_id=alert.client_id, active=True).first()


def alerts_notify(*, now: datetime | None = None, seconds: float = 50.0) -> int:
    """Send the alerts not sent yet, oldest first, for at most about ``seconds`` (each message is
    bounded by ``HTTP_TOTAL_TIMEOUT`` and ``EMAIL_TIMEOUT``); returns how many were sent."""
    now = now or timezone.now()
    deadline = time.monotonic() + seconds
    sent = 0
    pending = Alert.objects.filter(notified_at__isnull=True).select_related("client", "connector")
    for alert in pending.order_by("raised_at")[:100]:
        if time.monotonic() >= deadline:
            break
        if not Alert.objects.filter(pk=alert.pk, notified_at__isnull=True).update(notified_at=now):
            continue  # another sender claimed it
        channel = _channel(alert)
        recipients = [*(channel.email_list if channel else []), *settings.ALERT_EMAILS]
        alert.email_result = _email(alert, list(dict.fromkeys(recipients)))
        alert.webhook_result = _webhook(alert, channel, f"alert_{alert.pk}", now)
        alert.save(update_fields=["email_result", "webhook_result"])
        sent += 1
    return sent


def alert_channel_test(*, channel: AlertChannel, now: datetime | None = None) -> tuple[str, str]:
    """Send a test alert to the channel (its addresses and webhook only, not the operators'):
    (email result, webhook result), as an alert would record them. Nothing is stored."""
    now = now or timezone.now()
    test = Alert(
        condition="test", client=channel.client, window_start=now, window_end=now, raised_at=now,
        title=f"Test alert for {channel.client}",
        detail="Sent from the alert channel's page to check that alerts arrive and their signature verifies.",
    )
    return _email(test, channel.email_list), _webhook(test, channel, f"alert_test_{uuid.uuid4().hex}", now)
