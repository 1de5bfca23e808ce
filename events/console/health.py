"""One connector's health as support reads it on its page: what was delivered and failed over the
last day and at what rate, how long deliveries took, what waits, the last error and each
destination's circuit. Figures come from the dashboard's rollups and live counts; the last error
is two index probes (the connector's newest failed and newest retrying delivery)."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from connectors.models import Connector
from events.console.dashboard import Figures, dashboard_figures
from events.delivery.destinations import DestinationHealth, destination_health
from events.models import Delivery

HEALTH_WINDOW = "day"


@dataclass(frozen=True)
class LastError:
    delivery_id: int
    status: str
    at: datetime
    message: str
    status_code: int | None


@dataclass(frozen=True)
class ConnectorHealthFigures:
    window: str
    figures: Figures
    destinations: list[DestinationHealth]
    last_error: LastError | None

    @property
    def success_rate(self) -> float | None:
        """Delivered out of delivered and failed for good, in percent; None when neither happened."""
        settled = self.figures.delivered + self.figures.failed
        return round(100 * self.figures.delivered / settled, 1) if settled else None

    @property
    def failure_rate(self) -> float | None:
        rate = self.success_rate
        return None if rate is None else round(100 - rate, 1)

    @property
    def open_circuits(self) -> list[DestinationHealth]:
        return [row for row in self.destinations if row.state != "closed"]


def connector_health(*, connector: Connector, now: datetime | None = None) -> ConnectorHealthFigures:
    now = now or timezone.now()
    dashboard = dashboard_figures(window=HEALTH_WINDOW, connector_id=connector.pk, now=now)
    return ConnectorHealthFigures(
        window=HEALTH_WINDOW,
        figures=dashboard.rows[0] if dashboard.rows else Figures(connector=connector),
        destinations=destination_health(connector_id=connector.pk, now=now),
        last_error=_last_error(connector),
    )


def _last_error(connector: Connector) -> LastError | None:
    newest = []
    for status in (Delivery.Status.FAILED, Delivery.Status.RETRYING):
        row = (
            Delivery.objects.filter(connector=connector, status=status)
            .order_by("-created_at")
            .only("pk", "status", "updated_at", "created_at", "last_error", "last_status_code")
            .first()
        )
        if row is not None:
            newest.append(row)
    if not newest:
        return None
    row = max(newest, key=lambda d: d.updated_at)
    return LastError(
        delivery_id=row.pk, status=row.status, at=row.updated_at, message=row.last_error,
        status_code=row.last_status_code,
    )
