"""
Restore a backup made by `backup`: the database and the media files are replaced by the
archive's, once its manifest and every checksum have been checked (a damaged archive, or one of
another format, version or database engine, changes nothing).

    python manage.py restore backups/newsroom-backup-20261203-153000.tar.gz [--noinput]

`make restore BACKUP=…` runs it. Cached pages, here and at the edge, are forgotten afterwards.
"""

from django.core.management.base import BaseCommand, CommandError

from explainers.backups import BackupProblem, restore_backup


class Command(BaseCommand):
    help = "Replace the database and the media files with a backup's."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, archive, interactive=True, **options):
        if interactive:
            answer = input(
                "This replaces the whole database and every uploaded file with the backup's. "
                "Type 'yes' to go on: "
            )
            if answer != "yes":
                raise CommandError("Restore cancelled: nothing changed.")
        try:
            manifest = restore_backup(archive)
        except BackupProblem as problem:
            raise CommandError(f"{problem}. Nothing was changed.") from None
        if options["verbosity"] >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Restored the backup made at {manifest['created_at']} "
                    f"({len(manifest['files'])} files)."
                )
            )
