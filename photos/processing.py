"""
Everything Newsroom does to an image, with Pillow: judge an upload, clean the original, read its
credit and date, and cut renditions around the focal point.

An upload is judged by decoding it, never by its name or declared type, and its size in pixels is
checked from the header before any decoding, so a decompression bomb is refused cheaply.
"""

import datetime
import io
import re
import threading
from dataclasses import dataclass, field

from django.conf import settings
from PIL import ExifTags, Image, ImageOps, IptcImagePlugin, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# What the cleaned original is stored as: a GIF becomes a PNG still (news photos do not move).
STORED_AS = {
    "JPEG": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "WEBP": ("WEBP", "webp"),
    "GIF": ("PNG", "png"),
}

# (name, ratio or None for the photo's own, width, format)
HERO_WIDTHS = (480, 800, 1200, 1600)
HERO_RATIO = 16 / 9
SOCIAL_SIZE = (1200, 630)


@dataclass(frozen=True)
class Spec:
    kind: str  # "hero" or "social"
    width: int
    format: str  # "webp" or "jpeg"

    @property
    def name(self):
        return f"{self.kind}-{self.width}.{self.format}"

    @property
    def height(self):
        return SOCIAL_SIZE[1] if self.kind == "social" else round(self.width / HERO_RATIO)


SPECS = tuple(Spec("hero", w, fmt) for w in HERO_WIDTHS for fmt in ("webp", "jpeg")) + (
    Spec("social", SOCIAL_SIZE[0], "jpeg"),
)


class Rejected(ValueError):
    """An upload that is not accepted, with the message the editor sees."""


@dataclass
class Cleaned:
    image: Image.Image
    source_format: str
    credit: str = ""
    taken_on: datetime.date | None = None
    notes: list = field(default_factory=list)

    def encode(self):
        """The cleaned original as bytes, and its file extension. No metadata survives."""
        fmt, extension = STORED_AS[self.source_format]
        return encode(self.image, fmt), extension


_HEADER_LOCK = threading.Lock()


def open_header(fp):
    """Open an image for its header only, with Pillow's own bomb check suspended for the moment
    it takes: the caller checks the size itself and says so in the editor's words."""
    with _HEADER_LOCK:
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            return Image.open(fp)
        finally:
            Image.MAX_IMAGE_PIXELS = limit


def clean_upload(upload):
    """Judge an uploaded file and return it cleaned, or raise Rejected with the reason."""
    max_bytes = settings.PHOTO_MAX_UPLOAD_BYTES
    if upload.size == 0:
        raise Rejected("The file is empty.")
    if upload.size > max_bytes:
        raise Rejected(
            f"This file is {upload.size / 1_000_000:.1f} MB; the limit is {max_bytes / 1_000_000:g} MB."
        )
    upload.seek(0)
    try:
        image = open_header(upload)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Rejected("This file is not an image (JPEG, PNG, WebP or GIF).") from None
    if image.format not in ACCEPTED_FORMATS:
        raise Rejected(
            f"This is a {image.format} image; only JPEG, PNG, WebP and GIF are accepted."
        )
    width, height = image.size
    limit = settings.PHOTO_MAX_PIXELS
    if width * height > limit:
        raise Rejected(
            f"This image is {width:,} × {height:,} pixels; the limit is {limit / 1_000_000:g} megapixels."
        )
    credit, taken_on = read_metadata(image)
    notes = []
    if getattr(image, "n_frames", 1) > 1:
        notes.append(f"The {image.format} is animated; its first frame is kept as a still.")
    source_format = image.format
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Rejected(
            "This image is damaged or incomplete; export it again and re-upload."
        ) from None
    image, note = normalise_mode(image)
    if note:
        notes.append(note)
    return Cleaned(image, source_format, credit, taken_on, notes)


def normalise_mode(image):
    """Bring any pixel format to RGB, RGBA or L, saying what was converted."""
    mode = image.mode
    if mode in ("RGB", "RGBA", "L"):
        return image, ""
    if mode == "CMYK":
        return image.convert("RGB"), "Converted from CMYK (print colours) to RGB."
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: keep the top 8 bits.
        eight_bit = image.point(lambda value: value / 256).convert("L")
        return eight_bit, "Converted from 16 bits per channel to 8."
    if mode in ("P", "PA", "LA") or "transparency" in image.info:
        return image.convert("RGBA"), ""
    return image.convert("RGB"), f"Converted from {mode} to RGB."


def encode(image, fmt, quality=85):
    buffer = io.BytesIO()
    icc = image.info.get("icc_profile")
    options = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if image.mode != "RGB":
            image = flatten(image)
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True, **options)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=quality, method=4, **options)
    else:
        image.save(buffer, fmt, optimize=True, **options)
    return buffer.getvalue()


def flatten(image):
    """RGB on white, for formats without transparency."""
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def read_metadata(image):
    """The credit and the date taken, from IPTC or EXIF when the photo carries them."""
    credit, taken_on = "", None
    try:
        iptc = IptcImagePlugin.getiptcinfo(image) or {}
    except (SyntaxError, ValueError, IndexError, TypeError):
        iptc = {}
    byline = [decode_iptc(iptc.get((2, key))) for key in (80, 110)]  # By-line, Credit
    credit = " / ".join(part for part in byline if part)
    exif = image.getexif()
    if not credit:
        credit = str(
            exif.get(ExifTags.Base.Artist) or exif.get(ExifTags.Base.Copyright) or ""
        ).strip()
    stamp = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) or exif.get(
        ExifTags.Base.DateTime
    )
    if isinstance(stamp, str) and (match := re.match(r"(\d{4}):(\d{2}):(\d{2})", stamp)):
        try:
            taken_on = datetime.date(*map(int, match.groups()))
        except ValueError:
            taken_on = None
    return credit[:200], taken_on


def decode_iptc(value):
    if isinstance(value, list):
        value = value[0] if value else b""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip()
    return ""


def crop_box(width, height, ratio, focal_x, focal_y):
    """The largest box of `ratio` inside the image, centred as near the focal point as fits."""
    if width / height > ratio:
        box_w, box_h = round(height * ratio), height
    else:
        box_w, box_h = width, round(width / ratio)
    left = min(max(round(focal_x * width - box_w / 2), 0), width - box_w)
    top = min(max(round(focal_y * height - box_h / 2), 0), height - box_h)
    return left, top, left + box_w, top + box_h


def render(image, spec, focal_x=0.5, focal_y=0.5):
    """One rendition as bytes: cropped to its ratio around the focal point, never enlarged."""
    ratio = spec.width / spec.height
    cropped = image.crop(crop_box(image.width, image.height, ratio, focal_x, focal_y))
    if cropped.width > spec.width:
        cropped = cropped.resize((spec.width, spec.height), Image.Resampling.LANCZOS)
    return encode(cropped, "WEBP" if spec.format == "webp" else "JPEG"), cropped.size
