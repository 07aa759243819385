"""
Import an explainer from a plain-text file (the format of explainers/demo/*.txt).

    python manage.py import_explainer story.txt [--publish] [--dry-run] [--language ru]

Prints every decision the importer made (kicker, byline, questions, quotes, placeholders), then a
summary; --verbosity 0 prints nothing but problems. The article's language is the one the text is
written in (Cyrillic: Russian) unless --language names one of the newsroom's languages. Importing the same file again updates the
article rather than adding a second one. Bad input stops the import with the line and the
problem, and nothing is written. The command acts as an admin would: the role rules of the
admin's import page (explainers.workflow) apply to the people signed in there.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from explainers.importer import ImportProblem, import_file

# Notes on what still needs a person: a link to fill in, a link dropped, a rule left out.
WARNINGS = {"placeholder", "removed", "role"}


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
        parser.add_argument(
            "--language",
            help="The language it is written in (a code of LANGUAGES: en, ru); detected from "
            "the text by default.",
        )

    def handle(self, path, publish=False, dry_run=False, language=None, **options):
        verbosity = options["verbosity"]
        try:
            parsed, result = import_file(path, publish=publish, dry_run=dry_run, language=language)
        except ImportProblem as problem:
            raise CommandError(str(problem)) from None
        if verbosity >= 1:
            for note in result.report if result else parsed.report:
                style = self.style.WARNING if note.kind in WARNINGS else str
                self.stdout.write(style(f"  {note}"))
            self.stdout.write(summary(Path(path), parsed))
        if result is None:
            if verbosity >= 1:
                self.stdout.write("Dry run: nothing written.")
            return
        if verbosity >= 1:
            article = result.article
            verb = "Created" if result.created else "Updated"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{verb} “{article.headline}” ({article.get_status_display().lower()}): "
                    f"{article.sections.count()} questions, {article.quotes.count()} quotes."
                )
            )


def summary(path, parsed):
    """One line on what the file holds, and how many links still need an address."""
    return (
        f"{path.name}: “{parsed.headline}”, {len(parsed.sections)} questions, "
        f"{len(parsed.quotes)} quotes, {len(parsed.placeholders)} placeholder links to fill in."
    )
