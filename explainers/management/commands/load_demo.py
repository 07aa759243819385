"""
Load the demo explainer: the reference article shipped in explainers/demo/, published, with a hero
image drawn by Pillow and a few tags.

    python manage.py load_demo

Running it again changes nothing: once the demo article exists (even edited since), it is left
alone.
"""

import io
from pathlib import Path

import reversion
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from PIL import Image, ImageDraw

from explainers.importer import parse_explainer
from explainers.management.commands.import_explainer import import_file
from explainers.models import Article
from explainers.pagecache import invalidate_article
from photos import processing
from photos.models import Photo

DEMO_FILE = (
    Path(__file__).resolve().parents[2]
    / "demo"
    / "explainer-belarus-russia-joint-military-group.txt"
)
DEMO_TAGS = ["Belarus", "Russia", "Ukraine", "War in Ukraine"]
DEMO_DEK = (
    "Minsk says it is forming a joint force with Moscow. What the Union State alliance is, "
    "how many troops are involved and what it could mean for Ukraine."
)


class Command(BaseCommand):
    help = "Load the demo explainer (once; a second run changes nothing)."

    def handle(self, **options):
        self.verbosity = options["verbosity"]
        slug = parse_explainer(DEMO_FILE.read_bytes()).slug
        if Article.objects.filter(slug=slug).exists():
            self.stdout.write("The demo explainer is already loaded; nothing to do.")
            return
        with transaction.atomic(), reversion.create_revision():
            reversion.set_comment("Demo explainer loaded and published.")
            # Published as imported: its placeholder links go out as their plain words.
            article = import_file(self, DEMO_FILE, publish=True).article
            article.dek = DEMO_DEK
            article.hero_photo = demo_photo(article)
            # The photo carries the caption and credit read from the file.
            article.hero_caption = article.hero_credit = ""
            article.status = Article.Status.PUBLISHED
            problems = article.publish_problems()
            if problems:
                raise CommandError(
                    "The demo explainer fails the publish checks: " + " ".join(problems)
                )
            article.save()
            Article.objects.filter(pk=article.pk).update(updated_at=article.published_at)
            article.tags.add(*DEMO_TAGS)
            invalidate_article(article.pk)
        self.stdout.write(
            self.style.SUCCESS(f"Published the demo explainer at {article.get_absolute_url()}")
        )


def demo_photo(article):
    """The library photo for the demo: drawn, then cleaned and cut like any upload."""
    upload = SimpleUploadedFile("demo-hero.jpg", demo_hero_jpeg(), content_type="image/jpeg")
    photo = Photo(
        title="Demo illustration: a border between two territories",
        alt_text=(
            "Demo illustration in place of the agency photo: a dark red and grey field divided "
            "by a border line"
        ),
        caption=article.hero_caption,
        credit=article.hero_credit,
        source_agency="Newsroom demo",
        focal_y=0.4,
    )
    photo.save_cleaned(processing.clean_upload(upload), "demo-hero")
    photo.save()
    photo.make_renditions()
    return photo


def demo_hero_jpeg(width=1600, height=900):
    """A 16:9 illustration drawn with Pillow, standing in for the agency photo."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = int(40 + 60 * y / height)
        draw.line([(0, y), (width, y)], fill=(shade + 60, shade // 2, shade // 2))
    # A winding border between two territories, as on a map.
    points = [
        (x, int(height * 0.55 + 60 * ((x / 180) % 2 - 1) ** 2)) for x in range(0, width + 1, 40)
    ]
    draw.polygon([(0, height), *points, (width, height)], fill=(70, 74, 82))
    draw.line(points, fill=(235, 226, 210), width=6)
    for i in range(9):
        x, y = 180 + i * 150, int(height * 0.35) + (i % 3) * 40
        draw.ellipse([x - 10, y - 10, x + 10, y + 10], outline=(235, 226, 210), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()
