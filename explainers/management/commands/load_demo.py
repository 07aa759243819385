"""
Load the demo explainer: the reference article shipped in explainers/demo/, published, with a hero
image drawn by Pillow and a few tags, and its Russian version (the project's own translation,
explainers/demo/….ru.json), published and linked to it as its translation.

    python manage.py load_demo

Running it again changes nothing: once the demo article or its Russian version exists (even
edited since), it is left alone; a database loaded before the Russian version existed gets it. --verbosity 2 also prints the importer's report. Like every write, loading it reaches the
page cache through the model signals.
"""

import io
import json
from pathlib import Path

import reversion
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.html import escape
from PIL import Image, ImageDraw
from taggit.models import Tag

from explainers import workflow
from explainers.importer import ImportProblem, import_file
from explainers.models import Article, LocalName, Source, Speaker, anchor_for
from photos import processing
from photos.models import Photo

DEMO_FILE = (
    Path(__file__).resolve().parents[2]
    / "demo"
    / "explainer-belarus-russia-joint-military-group.txt"
)
TRANSLATION_FILE = DEMO_FILE.with_suffix(".ru.json")
DEMO_TAGS = ["Belarus", "Russia", "Ukraine", "War in Ukraine"]
DEMO_DEK = (
    "Minsk says it is forming a joint force with Moscow. What the Union State alliance is, "
    "how many troops are involved and what it could mean for Ukraine."
)


class Command(BaseCommand):
    help = "Load the demo explainer (once; a second run changes nothing)."

    def handle(self, **options):
        verbosity = options["verbosity"]
        parsed, _ = self.import_demo(dry_run=True)
        article = Article.objects.filter(slug=parsed.slug).first()
        if article is None:
            article = self.load_original(verbosity)
        elif verbosity >= 1:
            self.stdout.write("The demo explainer is already loaded.")
        self.load_translation(article, verbosity)

    def load_translation(self, article, verbosity):
        """The demo's Russian version (explainers/demo/…ru.json, the project's own translation),
        linked to the English one as its translation, once."""
        language = "ru"
        if language not in dict(settings.LANGUAGES) or article.language == language:
            return
        text = json.loads(TRANSLATION_FILE.read_text(encoding="utf-8"))
        self.load_names(text["names"], language)
        if article.versions().filter(language=language).exists():
            if verbosity >= 1:
                self.stdout.write("Its Russian version is already loaded; nothing to do.")
            return
        counts = (article.sections.count(), article.quotes.count())
        if counts != (len(text["questions"]), len(text["quotes"])):
            # The demo was edited since it was loaded: the translation no longer fits it.
            self.stderr.write(
                "The demo explainer has been edited (its questions or quotes changed), so its "
                "Russian version was not loaded. Translate it in the admin instead."
            )
            return
        with transaction.atomic():
            version = workflow.version_of(article, language)
            with reversion.create_revision():
                reversion.set_comment("Demo explainer's Russian version loaded and published.")
                for field in ("kicker", "headline", "slug", "dek", "hero_caption"):
                    setattr(version, field, text[field])
                version.lead = paragraphs(text["lead"])
                taken = set()
                for section, written in zip(version.sections.all(), text["questions"], strict=True):
                    section.question = written["question"]
                    section.anchor = anchor_for(written["question"], taken)
                    taken.add(section.anchor)
                    section.answer = paragraphs(written["answer"])
                    section.save()
                for quote, written in zip(version.quotes.all(), text["quotes"], strict=True):
                    for field in ("text", "speaker_role", "context"):
                        setattr(quote, field, written[field])
                    quote.save()
                version.status = Article.Status.PUBLISHED
                version.published_at = article.published_at
                problems = version.publish_problems()
                if problems:
                    raise CommandError(
                        "The demo's Russian version fails the publish checks: " + " ".join(problems)
                    )
                version.save()
            Article.objects.filter(pk=version.pk).update(updated_at=version.published_at)
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(f"Published its Russian version at {version.get_absolute_url()}")
            )

    def load_names(self, names, language):
        """The demo's speakers, sources and tags named in `language`: each name that is missing
        (one an editor changed is kept)."""
        records = [
            *((Speaker.objects.filter(slug=key), name) for key, name in names["speakers"].items()),
            *((Source.objects.filter(name=key), name) for key, name in names["sources"].items()),
            *((Tag.objects.filter(slug=key), name) for key, name in names["tags"].items()),
        ]
        with transaction.atomic():
            for found, name in records:
                for record in found:
                    LocalName.objects.get_or_create(
                        content_type=ContentType.objects.get_for_model(record),
                        object_id=record.pk,
                        language=language,
                        defaults={"name": name},
                    )

    def load_original(self, verbosity):
        with transaction.atomic(), reversion.create_revision():
            reversion.set_comment("Demo explainer loaded and published.")
            # Published as imported: its placeholder links go out as their plain words.
            _, result = self.import_demo(publish=True)
            article = result.article
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
        if verbosity >= 2:
            for note in result.report:
                self.stdout.write(f"  {note}")
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(f"Published the demo explainer at {article.get_absolute_url()}")
            )
        return article

    def import_demo(self, **options):
        try:
            return import_file(DEMO_FILE, **options)
        except ImportProblem as problem:
            raise CommandError(f"The demo explainer cannot be imported: {problem}") from None


def paragraphs(texts):
    """Plain paragraphs as the rich-text fields store them."""
    return "".join(f"<p>{escape(text)}</p>" for text in texts)


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
    photo.save_cleaned(processing.clean_upload(upload))
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
