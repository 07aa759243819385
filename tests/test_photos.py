"""The photo library: hostile and odd uploads, metadata, renditions, the admin and the commands."""

import errno
import io
import os
import struct
import zlib
from pathlib import Path
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import ExifTags, Image

from photos import processing
from photos.models import Photo
from tests.conftest import make_photo
from tests.test_admin import errors

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:photos_photo_add")


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg(size=(1200, 800), color=(120, 20, 30), **options):
    return encoded(Image.new("RGB", size, color), "JPEG", **options)


def bomb_png(width=20000, height=20000):
    """A tiny PNG whose header claims a huge size: decoding it would need gigabytes."""
    data = encoded(Image.new("L", (1, 1)), "PNG")
    at = data.index(b"IHDR")
    header = struct.pack(">II", width, height) + data[at + 12 : at + 17]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + header) & 0xFFFFFFFF)
    return data[: at + 4] + header + crc + data[at + 21 :]


def gps_jpeg():
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Sergei Grits / AP"
    exif[ExifTags.Base.Orientation] = 6  # taken with the camera on its side
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2022:10:10 09:30:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2] = "N", (53.0, 54.0, 0.0)
    return encoded(Image.new("RGB", (600, 400), "navy"), "JPEG", exif=exif)


def animated_gif():
    frames = [Image.new("RGB", (80, 60), color) for color in ("red", "green", "blue")]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def media_files(media_root):
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def upload(client, data, name="photo.jpg", content_type="image/jpeg", **fields):
    post = {
        "title": "A photo",
        "alt_text": "What it shows",
        "focal_x": "0.5",
        "focal_y": "0.5",
        "image": SimpleUploadedFile(name, data, content_type=content_type),
        **fields,
    }
    return client.post(ADD_URL, post, follow=True)


REJECTED = [
    (
        "decompression-bomb",
        bomb_png(),
        "This image is 20,000 × 20,000 pixels; the limit is 50 megapixels.",
    ),
    ("truncated-jpeg", jpeg()[:1500], "This image is damaged or incomplete"),
    ("html-as-jpg", b"<html><script>alert(1)</script></html>", "This file is not an image"),
    (
        "svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "This file is not an image",
    ),
    ("zero-bytes", b"", "The submitted file is empty."),
    ("tiff", encoded(Image.new("RGB", (20, 20)), "TIFF"), "This is a TIFF image; only JPEG, PNG"),
]


@pytest.mark.parametrize("data, message", [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_hostile_uploads_are_refused_with_a_clear_message_and_nothing_stored(
    editor_client, media_root, data, message
):
    response = upload(editor_client, data)
    assert response.status_code == 200
    assert any(message in error for error in errors(response)), errors(response)
    assert Photo.objects.count() == 0
    assert media_files(media_root) == []


def test_a_file_over_the_byte_limit_is_refused_before_decoding(editor_client, settings, media_root):
    settings.PHOTO_MAX_UPLOAD_BYTES = 10_000
    response = upload(editor_client, jpeg(size=(1500, 1500), quality=100))
    assert any(e.endswith("MB; the limit is 0.01 MB.") for e in errors(response)), errors(response)
    assert media_files(media_root) == []


def test_the_pixel_limit_is_a_setting(editor_client, settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    response = upload(editor_client, jpeg(size=(1500, 1000)))
    assert "This image is 1,500 × 1,000 pixels; the limit is 1 megapixels." in errors(response)


def test_the_upload_name_and_declared_type_are_not_trusted(editor_client):
    response = upload(editor_client, jpeg(), name="../../evil.php", content_type="text/html")
    assert errors(response) == []
    photo = Photo.objects.get()
    assert photo.image.name.startswith("photos/") and photo.image.name.endswith(".jpg")
    assert "evil" not in photo.image.name


def test_a_polyglot_gif_is_stored_as_a_clean_png_still(editor_client):
    payload = b"<script>alert('polyglot')</script>"
    gif = encoded(Image.new("P", (40, 30), 5), "GIF") + payload
    assert upload(editor_client, gif, name="x.gif").status_code == 200
    with Photo.objects.get().image.open("rb") as handle:
        stored = handle.read()
    assert stored.startswith(b"\x89PNG") and payload not in stored


def test_gps_and_camera_metadata_are_stripped_and_orientation_applied(editor_client):
    response = upload(editor_client, gps_jpeg(), credit="")
    assert errors(response) == []
    photo = Photo.objects.get()
    with Image.open(photo.image.path) as stored:
        exif = stored.getexif()
        assert stored.size == (400, 600)  # turned upright
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert ExifTags.Base.Artist not in exif
    with photo.image.open("rb") as handle:
        assert b"Sergei" not in handle.read()


def test_credit_and_date_taken_are_read_from_the_photo(editor_client):
    upload(editor_client, gps_jpeg(), credit="", taken_on="")
    photo = Photo.objects.get()
    assert photo.credit == "Sergei Grits / AP"
    assert photo.taken_on.isoformat() == "2022-10-10"


def test_an_editors_own_credit_wins_over_the_metadata(editor_client):
    upload(editor_client, gps_jpeg(), credit="Reuters")
    assert Photo.objects.get().credit == "Reuters"


def test_a_cmyk_jpeg_is_converted_to_rgb(editor_client):
    response = upload(
        editor_client, encoded(Image.new("CMYK", (100, 80), (0, 255, 255, 0)), "JPEG")
    )
    assert "Converted from CMYK" in response.content.decode()
    with Image.open(Photo.objects.get().image.path) as stored:
        assert stored.mode == "RGB"
        red, green, blue = stored.getpixel((50, 40))
        assert red > 200 and green < 60 and blue < 60


def test_a_16_bit_png_is_brought_to_8_bits(editor_client):
    image = Image.new("I;16", (64, 48))
    image.putpixel((0, 0), 65535)
    response = upload(editor_client, encoded(image, "PNG"), name="scan.png")
    assert "Converted from 16 bits per channel to 8." in response.content.decode()
    with Image.open(Photo.objects.get().image.path) as stored:
        assert stored.mode == "L" and stored.getpixel((0, 0)) == 255


def test_a_palette_png_with_transparency_keeps_it(editor_client):
    image = Image.new("P", (40, 40), 0)
    upload(editor_client, encoded(image, "PNG", transparency=0), name="logo.png")
    with Image.open(Photo.objects.get().image.path) as stored:
        assert stored.mode == "RGBA"


def test_an_animated_gif_keeps_its_first_frame_and_says_so(editor_client):
    response = upload(editor_client, animated_gif(), name="anim.gif")
    assert "animated; its first frame is kept as a still" in response.content.decode()
    with Image.open(Photo.objects.get().image.path) as stored:
        assert stored.format == "PNG" and getattr(stored, "n_frames", 1) == 1


# Renditions.


def test_renditions_are_made_once_at_every_width_in_webp_and_jpeg(editor_client, on_commit):
    with on_commit():  # made by a task once the upload commits (explainers.tasks)
        upload(editor_client, jpeg(size=(2400, 1600)))
    photo = Photo.objects.get()
    sizes = sorted((r.spec, r.width, r.height) for r in photo.renditions.all())
    assert sizes == sorted(
        [
            (f"hero-{w}.{f}", w, round(w * 9 / 16))
            for w in (480, 800, 1200, 1600)
            for f in ("webp", "jpeg")
        ]
        + [("social-1200.jpeg", 1200, 630)]
    )
    for rendition in photo.renditions.all():
        with Image.open(rendition.file.path) as image:
            assert image.size == (rendition.width, rendition.height)
            assert image.format == ("WEBP" if rendition.spec.endswith("webp") else "JPEG")
    # Made once and reused: asking again for missing ones makes none.
    assert photo.make_renditions(missing_only=True) == 0


def test_a_small_photo_is_never_enlarged():
    photo = make_photo(size=(600, 400))
    assert max(r.width for r in photo.renditions.all()) <= 600


def test_crops_keep_the_focal_point_in_view():
    # A wide photo with a red subject at the far right: a 16:9 crop of a square keeps it.
    image = Image.new("RGB", (1000, 1000), "white")
    image.paste((255, 0, 0), (0, 900, 1000, 1000))  # subject along the bottom edge
    spec = processing.Spec("hero", 480, "jpeg")
    data, size = processing.render(image, spec, focal_x=0.5, focal_y=0.95)
    with Image.open(io.BytesIO(data)) as cut:
        assert size == (480, 270)
        red, green, blue = cut.getpixel((240, 265))
        assert red > 200 and green < 80
    centred, _ = processing.render(image, spec, focal_x=0.5, focal_y=0.5)
    with Image.open(io.BytesIO(centred)) as cut:
        assert cut.getpixel((240, 265))[1] > 200  # the centre crop misses the subject


def test_clicking_the_picker_sets_the_focal_point_and_remakes_the_crops(editor_client, on_commit):
    photo = make_photo(size=(960, 540))
    before = {r.spec: r.file.name for r in photo.renditions.all()}
    url = reverse("admin:photos_photo_change", args=[photo.pk])
    page = BeautifulSoup(editor_client.get(url).content, "html.parser")
    picker = page.select_one('input[type="image"][name="focal"]')
    assert picker["src"] == photo.image.url
    assert "Now 50% from the left, 50% from the top" in page.text
    data = {
        "title": photo.title,
        "alt_text": photo.alt_text,
        "credit": photo.credit,
        "focal_x": "0.5",
        "focal_y": "0.5",
        "focal.x": "120",  # a quarter of the 480-pixel-wide picker
        "focal.y": "67",
    }
    with on_commit():
        response = editor_client.post(url, data, follow=True)
    assert "Focal point set" in response.content.decode()
    photo.refresh_from_db()
    assert (photo.focal_x, photo.focal_y) == (0.25, 0.248)
    after = {r.spec: r.file.name for r in photo.renditions.all()}
    assert set(after) == set(before) and all(after[k] != before[k] for k in after)


def test_the_focal_point_must_lie_inside_the_photo(editor_client):
    photo = make_photo(renditions=False)
    url = reverse("admin:photos_photo_change", args=[photo.pk])
    data = {"title": "t", "alt_text": "a", "focal_x": "1.5", "focal_y": "-1"}
    response = editor_client.post(url, data)
    assert "Ensure this value is less than or equal to 1.0." in errors(response)


def test_the_library_lists_photos_with_thumbnails_filters_and_search(editor_client):
    make_photo(title="Troops at the border", source_agency="AP")
    make_photo(title="Minsk skyline", source_agency="Reuters")
    url = reverse("admin:photos_photo_changelist")
    html = BeautifulSoup(editor_client.get(url, {"q": "border"}).content, "html.parser")
    rows = html.select("#result_list tbody tr")
    assert len(rows) == 1 and rows[0].select_one("img")["src"].endswith(".jpeg")
    filtered = BeautifulSoup(
        editor_client.get(url, {"source_agency": "Reuters"}).content, "html.parser"
    )
    titles = [r.select_one(".field-title").text for r in filtered.select("#result_list tbody tr")]
    assert titles == ["Minsk skyline"]


def test_reporters_may_upload_but_not_delete_photos(reporter_client):
    assert errors(upload(reporter_client, jpeg())) == []
    photo = Photo.objects.get()
    delete = reverse("admin:photos_photo_delete", args=[photo.pk])
    assert reporter_client.post(delete, {"post": "yes"}).status_code == 403


def test_a_photo_used_as_a_hero_cannot_be_deleted():
    from django.db.models import ProtectedError

    from tests.conftest import make_article

    photo = make_photo(renditions=False)
    make_article(hero_photo=photo)
    with pytest.raises(ProtectedError):
        photo.delete()


# rebuild_renditions.


def test_rebuild_renditions_survives_a_broken_file_and_reports_it(capsys):
    good = make_photo(renditions=False, title="Good")
    broken = make_photo(renditions=False, title="Broken")
    broken.image.storage.delete(broken.image.name)
    with pytest.raises(CommandError) as error:
        call_command("rebuild_renditions", "--missing-only")
    assert "2 photos, 9 renditions made, 0 already complete, 1 failed" in str(error.value)
    assert f"#{broken.pk} Broken" in str(error.value)
    assert good.renditions.count() == 9
    out = capsys.readouterr()
    assert "2/2" in out.out + out.err


def test_rebuild_renditions_missing_only_skips_complete_photos(capsys):
    make_photo()
    call_command("rebuild_renditions", "--missing-only")
    assert "1 photos, 0 renditions made, 1 already complete, 0 failed" in capsys.readouterr().out
    call_command("rebuild_renditions")
    assert "9 renditions made" in capsys.readouterr().out


@pytest.fixture
def migrated_back():
    """Leaves the database fully migrated again, whatever the test did: the transactional tests
    that run after it (a real worker among them) need every table."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_existing_hero_images_into_the_library_losing_nothing(migrated_back):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("explainers", "0003_hero_photo_field"), ("photos", "0001_initial")]
    after = [("explainers", "0005_remove_article_hero_image")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldArticle = old_apps.get_model("explainers", "Article")
    OldArticle.objects.create(
        headline="Old story",
        slug="old-story",
        hero_image="heroes/2022/10/troops.jpg",
        hero_width=1600,
        hero_height=900,
        hero_alt="Troops in a field",
        hero_caption="Lukashenko inspects the troops.",
        hero_credit="Sergei Grits / AP / TASS",
    )
    OldArticle.objects.create(headline="No photo", slug="no-photo")
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    Article = new_apps.get_model("explainers", "Article")
    moved = Article.objects.get(slug="old-story")
    photo = new_apps.get_model("photos", "Photo").objects.get(pk=moved.hero_photo_id)
    assert photo.image.name == "heroes/2022/10/troops.jpg"
    assert (photo.width, photo.height) == (1600, 900)
    assert photo.alt_text == "Troops in a field"
    assert photo.caption == "Lukashenko inspects the troops."
    assert photo.credit == "Sergei Grits / AP / TASS"
    assert Article.objects.get(slug="no-photo").hero_photo_id is None


@pytest.mark.parametrize(
    "code, reason",
    [(errno.ENOSPC, "No space left on device"), (errno.EACCES, "Permission denied")],
)
def test_a_storage_failure_is_the_forms_error_and_leaves_no_file_or_row(
    editor_client, media_root, code, reason
):
    """A full disk or a folder the site may not write: the half-written file goes, no photo
    row is made, and the editor reads why — never a server error."""
    from django.core.files.storage import FileSystemStorage

    real_save = FileSystemStorage._save

    def failing(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.read()[:100])  # what the disk took before it failed
        raise OSError(code, os.strerror(code))

    with mock.patch.object(FileSystemStorage, "_save", failing):
        response = upload(editor_client, jpeg())
    assert response.status_code == 200
    assert f"The photo could not be stored ({reason}). Nothing was saved" in " ".join(
        errors(response)
    )
    assert Photo.objects.count() == 0
    assert media_files(media_root) == []
    assert real_save is FileSystemStorage._save
    # And the next upload, with the disk back, works.
    assert errors(upload(editor_client, jpeg())) == []
    assert Photo.objects.count() == 1


# Author photos go through the same cleaning and the same storage rules.

AUTHOR_ADD_URL = reverse("admin:explainers_author_add")


@pytest.fixture
def people_client(client, admin_user):
    client.force_login(admin_user)  # authors are the people's administrators' records
    return client


def add_author(client, data=None, name="me.jpg", **fields):
    post = {"name": "Ann Writer", "slug": "ann-writer", "bio": "", "user": "", **fields}
    if data is not None:
        post["photo"] = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(AUTHOR_ADD_URL, post, follow=True)


def test_an_author_photo_is_cleaned_and_stored_under_a_name_of_its_own(people_client, media_root):
    from explainers.models import Author

    response = add_author(people_client, gps_jpeg(), name="../../evil.php")
    assert errors(response) == []
    author = Author.objects.get(slug="ann-writer")
    assert author.photo.name.startswith("authors/") and author.photo.name.endswith(".jpg")
    assert "evil" not in author.photo.name
    with author.photo.open("rb") as handle:
        assert b"Sergei" not in handle.read()  # the camera's metadata is gone
    # Cleared, it is gone from the record.
    change = reverse("admin:explainers_author_change", args=[author.pk])
    people_client.post(change, {"name": author.name, "slug": author.slug, "photo-clear": "on"})
    author.refresh_from_db()
    assert not author.photo


def test_a_hostile_author_photo_is_refused_naming_why(people_client, media_root):
    from explainers.models import Author

    response = add_author(people_client, b"<html><script>alert(1)</script></html>")
    assert "This file is not an image" in " ".join(errors(response))
    assert not Author.objects.filter(slug="ann-writer").exists()
    assert media_files(media_root) == []


def test_an_author_photo_the_storage_cannot_write_is_the_forms_error(people_client, media_root):
    from django.core.files.storage import FileSystemStorage

    from explainers.models import Author

    def failing(self, name, content):
        Path(self.path(name)).parent.mkdir(parents=True, exist_ok=True)
        Path(self.path(name)).write_bytes(content.read()[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with mock.patch.object(FileSystemStorage, "_save", failing):
        response = add_author(people_client, jpeg())
    assert response.status_code == 200
    assert "The photo could not be stored (No space left on device)" in " ".join(errors(response))
    assert not Author.objects.filter(slug="ann-writer").exists()
    assert media_files(media_root) == []
    assert errors(add_author(people_client, jpeg())) == []


def test_a_photo_offers_to_replace_its_image_never_to_clear_it(editor_client, media_root):
    photo = make_photo(renditions=False)
    page = editor_client.get(reverse("admin:photos_photo_change", args=[photo.pk])).content
    assert b'class="file-upload"' in page and b'name="image-clear"' not in page
