"""The photo library: photos with their credits, reused across stories, and their renditions."""

import uuid
from uuid import uuid4

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from PIL import Image
from taggit.managers import TaggableManager

from . import processing

unit_interval = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class StorageFailed(Exception):
    """The photo's file could not be written; the message says why ("No space left on
    device")."""


def store_cleaned(file, cleaned):
    """Store a cleaned upload (photos.processing.Cleaned) as the new content of `file`, a model's
    FieldFile — the cleaned image, never the uploaded bytes, under a new random name. A storage
    that fails (a full disk, a permission) raises StorageFailed, and no part of the file is left
    behind (the name is new, so nothing else can be under it)."""
    data, extension = cleaned.encode()
    field = file.field
    stored = field.generate_filename(file.instance, f"{uuid4().hex}.{extension}")
    try:
        stored = field.storage.save(stored, ContentFile(data), max_length=field.max_length)
    except OSError as error:
        try:
            field.storage.delete(stored)  # what a failed write left, if anything
        except OSError:
            pass
        raise StorageFailed(error.strerror or str(error)) from error
    file.name = stored


def original_path(photo, filename):
    """Never the uploaded name: a random one, with the extension of what is actually stored."""
    extension = filename.rsplit(".", 1)[-1].lower()
    return timezone.now().strftime(f"photos/%Y/%m/{uuid.uuid4().hex}.{extension}")


class Photo(models.Model):
    # Its identity in exports (explainers.portability), the same on every site it moves to.
    uuid = models.UUIDField("UUID", default=uuid4, unique=True, editable=False)
    image = models.ImageField(upload_to=original_path, width_field="width", height_field="height")
    title = models.CharField(max_length=200, help_text="For finding the photo in the library.")
    alt_text = models.CharField(
        max_length=300, help_text="What the photo shows, for readers who cannot see it."
    )
    caption = models.CharField(
        max_length=500, blank=True, help_text="The default caption; a story may use its own."
    )
    credit = models.CharField(
        max_length=200,
        blank=True,
        help_text='Photographer / agency, e.g. "Sergei Grits / AP / TASS".',
    )
    source_agency = models.CharField(max_length=100, blank=True, db_index=True)
    taken_on = models.DateField("date taken", null=True, blank=True)
    focal_x = models.FloatField(
        default=0.5, validators=unit_interval, help_text="0 = left edge, 1 = right edge."
    )
    focal_y = models.FloatField(
        default=0.5, validators=unit_interval, help_text="0 = top edge, 1 = bottom edge."
    )
    width = models.PositiveIntegerField(editable=False, null=True)
    height = models.PositiveIntegerField(editable=False, null=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Derived from the Rendition rows by make_renditions(), so pages need no query for them:
    # {spec: {"name": storage name, "width": …, "height": …, "size": bytes}}.
    rendition_index = models.JSONField(default=dict, blank=True, editable=False)
    tags = TaggableManager(blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="photo_focal_point_inside",
            ),
        ]

    def __str__(self):
        return self.title

    def save_cleaned(self, cleaned):
        """Store a cleaned upload as this photo's original (raises StorageFailed)."""
        store_cleaned(self.image, cleaned)
        # Set here: Django only measures a file assigned over an existing one.
        self.width, self.height = cleaned.image.size

    def rendition(self, name):
        """A rendition by spec name as {"url", "width", "height", "size"}, or None."""
        item = self.rendition_index.get(name)
        if item is None:
            return None
        return {**item, "url": self.image.storage.url(item["name"])}

    def heroes(self, fmt):
        """The 16:9 renditions in one format, narrowest first (worked out once per instance: a
        page asks for them for its srcset, fallback, social card and JSON-LD)."""
        memo = self.__dict__.setdefault("_heroes", {})
        if fmt not in memo:
            names = [n for n in self.rendition_index if n.startswith("hero-") and n.endswith(fmt)]
            memo[fmt] = sorted((self.rendition(n) for n in names), key=lambda r: r["width"])
        return memo[fmt]

    def srcset(self, fmt):
        return ", ".join(f"{r['url']} {r['width']}w" for r in self.heroes(fmt))

    @property
    def srcset_webp(self):
        return self.srcset("webp")

    @property
    def srcset_jpeg(self):
        return self.srcset("jpeg")

    @property
    def fallback(self):
        """The one image for browsers that ignore srcset: the JPEG hero up to 800 wide. Falls back
        to the original while renditions are missing."""
        heroes = self.heroes("jpeg")
        fitting = [r for r in heroes if r["width"] <= 800] or heroes
        if fitting:
            return fitting[-1]
        return {"url": self.image.url, "width": self.width, "height": self.height, "size": None}

    @property
    def social(self):
        """The 1200 × 630 card for link previews, or the fallback image."""
        return self.rendition("social-1200.jpeg") or self.fallback

    def index_renditions(self):
        """Rebuild rendition_index from the Rendition rows."""
        self.rendition_index = {
            r.spec: {"name": r.file.name, "width": r.width, "height": r.height, "size": r.size}
            for r in Rendition.objects.filter(photo=self)
        }
        self.__dict__.pop("_heroes", None)
        self.save(update_fields=["rendition_index"])

    def make_renditions(self, missing_only=False):
        """Cut every rendition from the stored original; with missing_only, just the absent ones.

        Returns how many were made. Files are written first, rows last, so a failure leaves no row
        pointing at a missing file.
        """
        existing = {r.spec: r for r in self.renditions.all()}
        wanted = [s for s in processing.SPECS if not (missing_only and s.name in existing)]
        if not wanted:
            if set(existing) != set(self.rendition_index):
                self.index_renditions()
            return 0
        with self.image.open("rb") as handle, Image.open(handle) as original:
            original.load()
            made = []
            for spec in wanted:
                data, (width, height) = processing.render(
                    original, spec, self.focal_x, self.focal_y
                )
                made.append((spec, data, width, height))
        with transaction.atomic():
            for spec, data, width, height in made:
                old = existing.get(spec.name)
                if old:
                    old.file.delete(save=False)
                    old.delete()
                rendition = Rendition(photo=self, spec=spec.name, width=width, height=height)
                rendition.file.save(f"{self.pk}-{spec.name}", ContentFile(data), save=False)
                rendition.size = len(data)
                rendition.save()
        if hasattr(self, "_prefetched_objects_cache"):
            self._prefetched_objects_cache.pop("renditions", None)
        self.index_renditions()
        return len(made)


def rendition_path(rendition, filename):
    return f"renditions/{rendition.photo_id}/{uuid.uuid4().hex[:8]}-{filename}"


class Rendition(models.Model):
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="renditions")
    spec = models.CharField(max_length=40)
    file = models.ImageField(upload_to=rendition_path)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(default=0, help_text="Bytes.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("photo", "spec"), name="unique_rendition_spec"),
        ]

    def __str__(self):
        return f"{self.photo} — {self.spec}"
