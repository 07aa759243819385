"""
Import an explainer from a plain-text file (the format of explainers/demo/*.txt).

    python manage.py import_explainer story.txt [--publish] [--dry-run]

Prints every decision the importer made (kicker, byline, questions, quotes, placeholders), then a
summary. Importing the same file again updates the article rather than adding a second one. Bad
input stops the import with the line and the problem, and nothing is written.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from explainers.importer import ImportProblem, parse_explainer, save_explainer


class Command(BaseCommand):
    help = "Import an explainer from a plain-text file, or update the one imported before."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The explainer as a UTF-8 text file.")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish it too, if it passes the publish checks.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and report, but write nothing."
        )

    def handle(self, path, publish=False, dry_run=False, **options):
        self.verbosity = options["verbosity"]
        result = import_file(self, Path(path), publish=publish, dry_run=dry_run)
        if result is None:
            return
        article = result.article
        verb = "Created" if result.created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} “{article.headline}” ({article.get_status_display().lower()}): "
                f"{article.sections.count()} questions, {article.quotes.count()} quotes."
            )
        )


def import_file(command, path, *, publish=False, dry_run=False):
    """Parse and save one file for a management command; shared by import_explainer and load_demo."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: cannot read the file ({error.strerror}).") from None
    try:
        parsed = parse_explainer(data)
        if command.verbosity >= 1:
            for line in parsed.report:
                command.stdout.write(f"  {line}")
            placeholders = sum("placeholder link" in line for line in parsed.report)
            command.stdout.write(
                f"{path.name}: “{parsed.headline}”, {len(parsed.sections)} questions, "
                f"{len(parsed.quotes)} quotes, {placeholders} placeholder links to fill in."
            )
        if dry_run:
            command.stdout.write("Dry run: nothing written.")
            return None
        return save_explainer(parsed, publish=publish)
    except ImportProblem as problem:
        raise CommandError(f"{path}: {problem}") from None
