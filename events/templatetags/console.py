"""The console's formatting in templates: JSON indented and folded, the raw form one click away."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from connectors.models import Connector
from events.admin.base import json_block, text_block
from events.admin.hub import connector_hub_context

register = template.Library()


@register.simple_tag
def json_details(value: Any, summary: str, open_: bool = False) -> SafeString:
    return json_block(value, summary=summary, open_=open_)


@register.simple_tag
def body_details(text: str, summary: str, open_: bool = False) -> SafeString:
    return text_block(text, summary=summary, open_=open_)


@register.inclusion_tag("admin/events/connector_hub.html", takes_context=True)
def connector_hub(context: template.Context, connector: Connector) -> dict[str, Any]:
    """The connector's health and links, for the connector's own page (the connectors app)."""
    return connector_hub_context(context["request"], connector)
