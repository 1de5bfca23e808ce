from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Delivery log"

    def ready(self) -> None:
        # A connector's state change holds or releases its deliveries (connectors.services.connector_state_set).
        from connectors.services import connector_state_deliveries_register
        from events.delivery.connector_state import state_deliveries_apply

        connector_state_deliveries_register(state_deliveries_apply)
