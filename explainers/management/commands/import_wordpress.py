"""
Move in from WordPress: import the posts of a WordPress export (WXR) as explainers.

    python manage.py import_wordpress export.xml [--dry-run]

Each post becomes an article with its title, slug, author, date, status, categories and tags;
its h2/h3 headings become questions and its blockquotes quotes (explainers.wordpress). Prints
every decision, the images it did not download, and a summary; --verbosity 0 prints nothing but
problems. All posts are written in one transaction, or none: a problem names the post and what
is wrong. Importing the same export again updates the articles. Each post's old address
redirects to its article.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from explainers.importer import ImportProblem, read_file
from explainers.wordpress import MAX_EXPORT_BYTES, parse_export, save_export

WARNINGS = {"image", "unattributed", "draft"}


class Command(BaseCommand):
    help = "Import the posts of a WordPress export (WXR) as explainers."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The WordPress export, an XML file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and report, but write nothing."
        )

    def handle(self, path, dry_run=False, **options):
        verbosity = options["verbosity"]
        path = Path(path)
        try:
            export = parse_export(read_file(path, MAX_EXPORT_BYTES, "a WordPress export"))
            saved, notes = ([], []) if dry_run else save_export(export)
        except ImportProblem as problem:
            where = f"post {problem.line}: " if problem.line else ""
            raise CommandError(f"{path}: {where}{problem.message}") from None
        if verbosity >= 1:
            for note in sorted(export.report + notes, key=lambda n: n.line or 0):
                style = self.style.WARNING if note.kind in WARNINGS else str
                self.stdout.write(style(f"  post {note.line}: {note.message}"))
            images = sum(len(post.images) for post in export.posts)
            self.stdout.write(
                f"{path.name}: {len(export.posts)} posts, "
                f"{sum(len(p.parsed.sections) for p in export.posts)} questions, "
                f"{sum(len(p.parsed.quotes) for p in export.posts)} quotes, "
                f"{images} images listed (not downloaded)."
            )
            if dry_run:
                self.stdout.write("Dry run: nothing written.")
            else:
                created = sum(1 for post in saved if post.created)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Created {created} and updated {len(saved) - created} articles."
                    )
                )
