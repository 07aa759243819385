from django.apps import AppConfig


class ExplainersConfig(AppConfig):
    name = "explainers"
    verbose_name = "Explainers"

    def ready(self):
        from . import signals  # noqa: F401 — connects the page-document handlers
