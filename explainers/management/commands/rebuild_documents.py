"""
Rebuild the stored page document of every article (derived data, never edited by hand).

    python manage.py rebuild_documents [--missing-only]

Saves keep documents current on their own; run this after writing articles around the ORM (raw
SQL, bulk inserts) or after changing the article body template, so no reader waits for a rebuild.
It goes through the change pipeline (explainers.changes), so every cached copy of the pages
rebuilt is refreshed too.
"""

import time

from django.core.management.base import BaseCommand
from django.db.models import Exists, OuterRef

from explainers import changes
from explainers.models import Article, ArticleDocument

from ._progress import Progress


class Command(BaseCommand):
    help = "Rebuild the stored page documents of all articles (or just the missing ones)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing-only", action="store_true", help="Only build documents that do not exist."
        )

    def handle(self, missing_only=False, **options):
        articles = Article.objects.all()
        if missing_only:
            articles = articles.exclude(
                Exists(ArticleDocument.objects.filter(article=OuterRef("pk")))
            )
        started = time.monotonic()

        progress = Progress(self, "documents", options["verbosity"])
        total = changes.refresh_all(articles, progress=progress)
        progress.end()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {total:,} page documents in {time.monotonic() - started:.1f} s."
            )
        )
