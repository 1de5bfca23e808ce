from django.core.management.base import BaseCommand

from core.groups import groups_sync


class Command(BaseCommand):
    help = "Create the Integration staff and Support groups and set their permissions."

    def handle(self, *args, **options):
        for name, count in groups_sync().items():
            self.stdout.write(f"{name}: {count} permissions")
