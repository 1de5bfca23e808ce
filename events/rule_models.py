"""Mapping rules staff edit per connector (models imported by ``events.models``)."""
