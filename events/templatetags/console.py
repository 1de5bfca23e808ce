"""The console's formatting in templates: JSON indented and folded, the raw form one click away."""

from django import template

from events.admin.base import json_block, text_block
from events.admin.hub import connector_hub_context

register = template.Library()


@register.simple_tag
def json_details(value, summary: str, open_: bool = False):
    return json_block(value, summary=summary, open_=open_)


@register.simple_tag
def body_details(text: str, summary: str, open_: bool = False):
    return text_block(text, summary=summary, open_=open_)


@register.inclusion_tag("admin/events/connector_hub.html", takes_context=True)
def connector_hub(context, connector):
    """The connector's health and links, for the connector's own page (the connectors app)."""
    return connector_hub_context(context["request"], connector)
