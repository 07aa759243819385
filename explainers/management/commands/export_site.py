"""
Export the whole site into one portable archive: the articles with everything they hold, the
tags, authors, speakers, sources and photos (originals and renditions), named by stable UUIDs,
and a manifest of checksums. `import_site` reads it into this site or another.

    python manage.py export_site PATH [--with-revisions]

The document's format is explainers/schemas/site-1.json; see explainers.portability.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from explainers.portability import ArchiveProblem, export_site

from ._progress import Progress


class Command(BaseCommand):
    help = "Export every article, photo and record of the site into one archive."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive to write, e.g. newsroom-site.tar.gz.")
        parser.add_argument(
            "--with-revisions", action="store_true", help="Include every article's history."
        )

    def handle(self, path, with_revisions=False, **options):
        started = time.monotonic()
        progress = Progress(self, "articles", options["verbosity"])
        try:
            counts = export_site(path, with_revisions=with_revisions, progress=progress)
        except ArchiveProblem as problem:
            raise CommandError(f"Nothing exported: {problem}.") from None
        progress.end()
        if options["verbosity"] >= 1:
            held = ", ".join(
                f"{n:,} {kind}" for kind, n in counts.items() if n or kind != "revisions"
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Exported {held} to {path} in {time.monotonic() - started:.1f} s."
                )
            )
