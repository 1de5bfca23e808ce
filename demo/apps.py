from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demonstration set-up and ``make run``'s one-command platform: not part of the pipeline."""

    name = "demo"
    verbose_name = "Demo"
