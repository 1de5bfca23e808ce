"""The console's formatting in templates: JSON indented and folded, the raw form one click away."""

from django import template

from events.admin.base import json_block, text_block

register = template.Library()


@register.simple_tag
def json_details(value, summary: str, open_: bool = False):
    return json_block(value, summary=summary, open_=open_)


@register.simple_tag
def body_details(text: str, summary: str, open_: bool = False):
    return text_block(text, summary=summary, open_=open_)
