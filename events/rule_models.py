"""Mapping rules staff edit per connector (models imported by ``events.models``).

A connector's rules are versioned as a whole: :class:`MappingRuleSet` holds the rules that apply
now for one (connector, direction), in the mapping engine's rule form, and every change appends a
:class:`MappingRuleSetVersion`. ``rules`` is ``null`` while the connector has no rules of its own:
its kind's shipped defaults apply. A reset sets it back to ``null``; the history stays.
"""

from django.conf import settings
from django.db import models

from core.direction import DirectionField

__all__ = ["MappingRuleSet", "MappingRuleSetVersion"]


class MappingRuleSet(models.Model):
    connector = models.ForeignKey(
        "connectors.Connector", on_delete=models.CASCADE, related_name="mapping_rule_sets"
    )
    direction = DirectionField()
    rules = models.JSONField(null=True, blank=True, help_text="Empty: the kind's default rules apply.")
    version = models.PositiveIntegerField(default=0, help_text="The number of the latest version.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "mapping rules"
        verbose_name_plural = "mapping rules"
        ordering = ["connector__client__name", "connector__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "direction"], name="mapping_rules_unique_per_direction"
            ),
        ]

    def __str__(self):
        return f"{self.connector} ({self.direction})"

    @property
    def uses_defaults(self) -> bool:
        return self.rules is None


class MappingRuleSetVersion(models.Model):
    class Action(models.TextChoices):
        SAVE = "save", "Saved"
        COPY_DEFAULTS = "copy_defaults", "Copied the defaults"
        RESET = "reset", "Reset to the defaults"
        RESTORE = "restore", "Restored a version"

    rule_set = models.ForeignKey(MappingRuleSet, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    rules = models.JSONField(null=True, blank=True, help_text="Empty: the kind's default rules applied.")
    action = models.CharField(max_length=16, choices=Action.choices)
    summary = models.TextField(blank=True, help_text="Which rules were added, changed or removed.")
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "mapping rules version"
        ordering = ["rule_set", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_set", "number"], name="mapping_rules_version_unique_number"
            ),
        ]

    def __str__(self):
        return f"version {self.number} of {self.rule_set}"
