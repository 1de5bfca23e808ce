"""What a connector's page shows of the delivery log: its health figures and the links to its
events, deliveries, failures, dashboard, health page and mapping rules, with pause and resume.

The connectors app knows nothing of the log (its pages name this one in a template tag,
``{% connector_hub %}``), so the same panel serves the connector's page and its health page.
"""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from connectors.kinds.registry import kind_get
from connectors.models import Connector
from events.admin.base import RETRY_PERMISSION
from events.console.health import connector_health
from events.models import MappingRuleSet


def _list(name: str, **query: str | int) -> str:
    return f"{reverse(f'admin:events_{name}_changelist')}?{urlencode(query)}"


def connector_hub_context(request: HttpRequest, connector: Connector) -> dict[str, Any]:
    user = request.user
    if not user.has_perm("events.view_delivery"):
        return {}
    pk = connector.pk
    links = [
        ("Events", _list("event", connector=pk)),
        ("Deliveries", _list("delivery", connector=pk)),
        ("Failures", _list("delivery", connector=pk, status="failed")),
        ("Dashboard", f"{reverse('admin:events_connectorhealth_dashboard')}?{urlencode({'connector': pk})}"),
        ("Health", reverse("admin:events_connectorhealth_change", args=[pk])),
    ]
    if user.has_perm("connectors.view_connector"):
        links.append(("Settings and tokens", reverse("admin:connectors_connector_change", args=[pk])))
    if kind_get(connector.kind).default_rules and user.has_perm("events.view_mappingruleset"):
        rule_set = MappingRuleSet.objects.filter(connector=connector).values_list("pk", flat=True).first()
        url = (
            reverse("admin:events_mappingruleset_change", args=[rule_set])
            if rule_set
            else reverse("admin:events_mappingruleset_add")
        )
        links.append(("Mapping rules", url))
    links = [(label, url) for label, url in links if url != request.path]  # not the page itself
    back = urlencode({"next": request.get_full_path()})
    state_change = None
    # Pause and Resume go together (a disabled connector is enabled again from its settings).
    if user.has_perm(RETRY_PERMISSION) and connector.state != Connector.State.DISABLED:
        label = "Pause" if connector.state == Connector.State.ACTIVE else "Resume"
        state_change = (label, f"{reverse(f'admin:events_connectorhealth_{label.lower()}', args=[pk])}?{back}")
    return {
        "hub_connector": connector,
        "health": connector_health(connector=connector),
        "hub_links": links,
        "state_change": state_change,
    }
