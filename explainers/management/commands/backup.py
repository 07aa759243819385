"""
Back up the whole site: the database, consistent at one moment (SQLite's backup API, or
pg_dump), and the uploaded files, in one archive with a manifest of checksums.

    python manage.py backup [DIRECTORY]      # default: backups/

`make backup` runs it. See explainers.backups; `restore` puts an archive back.
"""

from django.core.management.base import BaseCommand, CommandError

from explainers.backups import BackupProblem, make_backup


class Command(BaseCommand):
    help = "Back up the database and the media files into one archive."

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", default="backups")

    def handle(self, directory, **options):
        try:
            archive = make_backup(directory)
        except BackupProblem as problem:
            raise CommandError(str(problem)) from None
        if options["verbosity"] >= 1:
            size = archive.stat().st_size
            self.stdout.write(self.style.SUCCESS(f"Backed up to {archive} ({size:,} bytes)."))
