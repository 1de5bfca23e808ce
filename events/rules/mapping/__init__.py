"""The mapping engine: mapping rules (data) + an event context → Segment messages.

A pure function of its inputs: no database, no HTTP, no settings. Rules are validated when they are
saved (:func:`rule_validate`) and applied when an event is translated (:func:`messages_render`).

Rule form (JSON-serialisable)::

    {"name": "Purchase",                       # shown to staff; non-empty
     "event_type": "POSCONNECT.WALLET.SETTLE", # exact, or a glob such as "TIER.MEMBERSHIP.*"
     "condition": null,                        # optional JMESPath on the context: applies when truthy
     "enabled": true,                          # optional, default true
     "order": 100,                             # optional, default 0; rules apply in ascending order
     "messages": [                             # one or more message templates
        {"type": "track",                      # "track", "identify" or "group"
         "event": "EE Loyalty Purchase",       # value spec; required for track
         "user_id": {"path": "user_id"},       # value spec; required
         "group_id": null,                     # value spec; required for group
         "for_each": null,                     # optional JMESPath to a list: one message per element
         "properties": {...},                  # track only: a dict of value specs
         "traits": {...},                      # identify and group only: a dict of value specs
         "context": {"traits": {...}}}]}       # any message: a dict of value specs

A *value spec* is one of:

- ``{"path": "<JMESPath>"}``: the value found at that path in the context (``null`` when absent);
- ``{"template": "Viewed {name} Page"}``: a string; each ``{...}`` is a JMESPath expression whose
  value is written in (nothing for ``null``);
- any other dict: a dict of value specs, rendered key by key;
- anything else (string, number, boolean, list, ``null``): a literal, sent as it is.

With ``for_each`` the element being rendered is reachable in paths as ``item``
(``{"path": "item.account_id"}``); the rest of the context stays reachable by its own names.

Traits never carry ``null``: a trait whose value renders to ``null`` is left out, so an event that
does not know a value (a points spend knows no tier) never erases it from the Segment profile.
Properties keep ``null`` values, so every event of a name has the same shape.

Rendered messages have no ``messageId`` or ``timestamp``: the connector kind adds those::

    {"type": "track", "event": ..., "userId": ..., "properties": {...}, "context": {"traits": {...}}}
    {"type": "identify", "userId": ..., "traits": {...}}
    {"type": "group", "userId": ..., "groupId": ..., "traits": {...}}
"""

from events.rules.mapping.engine import MappingError, messages_render
from events.rules.mapping.validation import rule_validate

__all__ = ["MappingError", "messages_render", "rule_validate"]
