"""
Make every photo's renditions again from its stored original (derived data, never edited by hand).

    python manage.py rebuild_renditions [--missing-only]

Shows progress photo by photo and a summary at the end. A photo whose file is missing or broken is
reported and skipped; the others are still done. Exits non-zero if any photo failed.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from photos.models import Photo


class Command(BaseCommand):
    help = "Rebuild photo renditions (all, or with --missing-only just the absent ones)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing-only", action="store_true", help="Only make renditions that do not exist."
        )

    def handle(self, missing_only=False, **options):
        verbosity = options["verbosity"]
        photos = Photo.objects.prefetch_related("renditions").order_by("pk")
        total = photos.count()
        made = skipped = 0
        failed = []
        started = time.monotonic()
        for number, photo in enumerate(photos.iterator(chunk_size=100), start=1):
            try:
                count = photo.make_renditions(missing_only=missing_only)
            except Exception as error:  # one broken file must not stop the rest
                failed.append(photo)
                if verbosity >= 1:
                    self.stderr.write(
                        self.style.ERROR(f"[{number}/{total}] {photo} (#{photo.pk}): {error}")
                    )
                continue
            made += count
            skipped += count == 0
            if verbosity >= 1:
                bar = "#" * round(20 * number / total)
                self.stdout.write(f"[{bar:<20}] {number}/{total} {photo}: {count} made")
        seconds = time.monotonic() - started
        summary = (
            f"{total} photos, {made} renditions made, {skipped} already complete, "
            f"{len(failed)} failed, in {seconds:.1f} s."
        )
        if failed:
            raise CommandError(summary + " Failed: " + ", ".join(f"#{p.pk} {p}" for p in failed))
        self.stdout.write(self.style.SUCCESS(summary))
