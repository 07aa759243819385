from django.apps import AppConfig


class ExplainersConfig(AppConfig):
    name = "explainers"
    verbose_name = "Explainers"

    def ready(self):
        # The change pipeline's entry points, and the edge cache's purge on pages_changed.
        from . import edge, signals  # noqa: F401
