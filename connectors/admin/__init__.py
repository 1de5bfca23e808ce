"""Self-serve setup: clients, their connectors and webhook tokens (Django's admin autodiscovery
imports this package, which registers each page by importing its module)."""

from connectors.admin import clients, connectors, tokens

__all__ = ["clients", "connectors", "tokens"]
