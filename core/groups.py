"""The staff groups and what each may do, in one place.

``groups_sync`` creates any permission not yet in the database, then gives each group exactly the
permissions listed here. A grant names an app and a codename pattern (``view_*`` is every model's
view permission in that app), so a model added later is covered when ``groups_sync`` runs again:
each app that adds models or permissions calls it from a data migration of its own, and the
``groups_sync`` management command does the same by hand.
"""

from dataclasses import dataclass
from fnmatch import fnmatchcase

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

INTEGRATION_STAFF = "Integration staff"
SUPPORT = "Support"

# The permission the delivery log's retry, replay and cancel actions require.
EVENTS_RETRY_PERMISSION = "retry_delivery"


@dataclass(frozen=True)
class Grant:
    app_label: str
    codename: str  # an fnmatch pattern


GROUPS: dict[str, tuple[Grant, ...]] = {
    INTEGRATION_STAFF: (
        Grant("connectors", "*"),
        Grant("events", "view_*"),
        Grant("events", "change_*"),
        Grant("events", EVENTS_RETRY_PERMISSION),
        Grant("rewards", "view_*"),
        Grant("rewards", "change_*"),
        # Trigger references are connector setup, not log: staff keep them complete.
        Grant("rewards", "*_triggerreference"),
        # Where a client's alerts are sent is client setup too.
        Grant("events", "*_alertchannel"),
    ),
    SUPPORT: (
        Grant("connectors", "view_client"),
        Grant("connectors", "view_connector"),
        # The whole delivery log, its dashboards and mapping rules (read-only), and the ledger.
        Grant("events", "view_*"),
        Grant("events", EVENTS_RETRY_PERMISSION),
        Grant("rewards", "view_*"),
    ),
}


def permissions_create(*, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the permissions of every installed app (Django only does so after all migrations)."""
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, interactive=False, using=using, apps=apps)


def groups_sync(*, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Create missing groups and set their permissions; return the number of permissions per group.

    From a migration pass its ``apps`` so the models are the migration state's.
    """
    permissions_create(apps=apps, using=using)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    permissions = list(
        permission_model.objects.using(using).values_list("pk", "content_type__app_label", "codename")
    )
    counts = {}
    for name, grants in GROUPS.items():
        group, _ = group_model.objects.using(using).get_or_create(name=name)
        granted = [
            pk
            for pk, app_label, codename in permissions
            if any(g.app_label == app_label and fnmatchcase(codename, g.codename) for g in grants)
        ]
        group.permissions.set(granted)
        counts[name] = len(granted)
    return counts
