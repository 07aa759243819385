from django.apps import AppConfig


class ExplainersConfig(AppConfig):
    name = "explainers"
    verbose_name = "Explainers"

    def ready(self):
        # The change pipeline's entry points, and the edge cache's purge on pages_changed.
        from django.db.backends.signals import connection_created

        from . import edge, search, signals  # noqa: F401

        connection_created.connect(search.fold_on_sqlite)
