"""Connector kinds: one folder each, every folder laid out alike.

A kind's folder is named by its key, which ``registry.py`` lists. The same job has the same module
name in every kind, so a reader who knows one kind knows where everything is in the others:

``__init__.py``
    ``KIND``, the declaration (:class:`~connectors.kinds.base.Kind`), wiring the modules below
    together and nothing else (a two-way kind's ``parse`` and ``build`` pick the direction's module).
``fields.py``
    ``FIELDS``, the settings schema.
``samples.py`` (or a ``samples/`` package reading the JSON files beside it)
    ``SAMPLES`` by direction, for the admin's test event and the mapping preview; and
    ``sandbox_connector``: the demo's connector, pointed at the sandbox upstreams the kind names
    in ``sandbox_upstreams``.
``parse.py``
    what arrives → :class:`~connectors.kinds.base.IncomingEvent` with its documented context, or
    ``PayloadInvalid`` naming each bad field. Absent when the kind reads plain Segment Spec messages
    (``segment_spec.segment_parse``).
``build.py``
    an event, and the messages its mapping rules produced, → the requests that leave
    (:class:`~connectors.kinds.base.Translation`).
``client.py``
    a stored request → the bytes sent (authentication happens here, at send time), and the
    partner's answer → :class:`~connectors.kinds.base.Outcome`.
``default_rules.json``
    the default mapping rules of a CDP-bound direction.

A two-way kind whose job differs by direction has a module per direction: ``parse_in.py`` and
``parse_out.py``, ``build_in.py`` and ``build_out.py``. A job too big for one module is split into
``<job>_<part>.py`` (``parse_out_transaction.py``, ``build_conversion.py``); what serves no single
job is named for what it holds (``auth.py``, ``metadata.py``). Beside the folders is what the kinds
share: ``base.py`` (the contract), ``segment.py`` and ``segment_spec.py`` (Segment's HTTP API and
Spec), ``validation.py`` (settings). A kind imports no other kind, nor the sandbox, nor the
connectors' models and services (pyproject's import contracts). Adding a kind, step by step:
``docs/adding-a-kind.md``.
"""
