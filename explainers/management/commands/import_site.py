"""
Import an archive made by `export_site`: into an empty site, everything as it was (every id
kept, so every address is the same); into a populated one, merged by UUID — what exists is
updated, nothing is duplicated. One transaction: a damaged archive, or one that does not fit this
site, is refused naming the problem, and nothing is written.

    python manage.py import_site PATH [--dry-run]

See explainers.portability.
"""

from django.core.management.base import BaseCommand, CommandError

from explainers.portability import ArchiveProblem, import_site

from ._progress import Progress


class Command(BaseCommand):
    help = "Import a site archive made by export_site (into an empty site, or merged by UUID)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive, made by export_site.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report, but write nothing."
        )

    def handle(self, path, dry_run=False, **options):
        progress = Progress(self, "articles", options["verbosity"])
        try:
            report = import_site(path, dry_run=dry_run, progress=progress)
        except ArchiveProblem as problem:
            progress.end()
            raise CommandError(f"Refused: {problem}. Nothing was written.") from None
        progress.end()
        if options["verbosity"] >= 1:
            into = "an empty site (every id kept)" if report.empty_site else "this site, by UUID"
            for note in report.notes:
                self.stdout.write(self.style.WARNING(note))
            verb = "Would import" if dry_run else "Imported"
            self.stdout.write(self.style.SUCCESS(f"{verb} into {into}: {report.summary()}."))
            if dry_run:
                self.stdout.write("Dry run: nothing was written.")
