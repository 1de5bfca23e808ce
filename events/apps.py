from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Delivery log"

    def ready(self) -> None:
        from events import (
            admin_alerts,  # noqa: F401 - registers the alert channels and alerts admin
            admin_mapping,  # noqa: F401 - registers the "Mapping rules" admin
        )
