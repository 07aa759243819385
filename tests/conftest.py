import datetime
import io
import os
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from explainers.models import Article, Author, Byline, QuestionSection, Quote, Speaker

# Tests use the static files as they are; hashed names need `collectstatic` (see make serve).
os.environ.setdefault("DJANGO_HASHED_STATIC", "0")

REFERENCE_FILE = (
    Path(__file__).resolve().parent.parent
    / "explainers/demo/explainer-belarus-russia-joint-military-group.txt"
)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: cached pages must not leak between tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def no_pending_changes():
    """Each test starts with nothing pending in the change pipeline: what an earlier test's
    rolled-back transaction noted (explainers.changes.pending) would be flushed by this test's
    first commit, and counted among its rebuilds."""
    from django.db import connection  # a proxy: getattr and delattr reach the connection

    if getattr(connection, "newsroom_changes", None) is not None:
        del connection.newsroom_changes


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads and generated images go to a throw-away folder, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def assert_linear_time(run, size, *, steps=16, bound=80):
    """`run(n)` reads an input of size n. Reading `size` must take under `bound` times what
    size/`steps` takes: linear time is about `steps` times (more for the memory a big input
    takes), quadratic `steps`² (256). The two are measured in the same run, so a busy machine
    slows both alike; no absolute time is asserted."""

    def seconds(n):
        start = time.perf_counter()
        run(n)
        return time.perf_counter() - start

    small = min(seconds(size // steps) for _ in range(3))
    limit = bound * max(small, 0.01)
    big = seconds(size)
    if big >= limit:
        big = min(big, seconds(size))  # once more: the machine may have been busy
    assert big < limit, f"{size // steps:,} took {small:.4f} s; {size:,} took {big:.2f} s"


@pytest.fixture
def reference_text():
    return REFERENCE_FILE.read_text(encoding="utf-8")


def jpeg_upload(name="hero.jpg", size=(64, 36)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 20, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def make_photo(renditions=True, size=(640, 360), **overrides):
    """A library photo made as an upload would be, with its renditions."""
    from photos import processing
    from photos.models import Photo

    fields = {"title": "Troops", "alt_text": "Soldiers in a field", "credit": "AP"}
    fields.update(overrides)
    photo = Photo(**fields)
    photo.save_cleaned(processing.clean_upload(jpeg_upload(size=size)))
    photo.save()
    if renditions:
        photo.make_renditions()
    return photo


# The management form of the "Names in other languages" inline on a speaker's, source's or tag's
# admin page, with no names: what a POST to that page carries besides the record's own fields.
NO_LOCAL_NAMES = {
    "explainers-localname-content_type-object_id-TOTAL_FORMS": "0",
    "explainers-localname-content_type-object_id-INITIAL_FORMS": "0",
}


def make_article(sections=2, quotes_per_section=1, **overrides):
    """A published explainer with `sections` answered questions, each with quotes by a speaker."""
    fields = {
        "headline": "What is the Union State?",
        "slug": "what-is-the-union-state",
        "dek": "A treaty from 1999, explained.",
        "lead": "<p>The lead paragraph.</p>",
        "status": Article.Status.PUBLISHED,
        "published_at": timezone.now() - datetime.timedelta(days=1),
    }
    fields.update(overrides)
    article = Article.objects.create(**fields)
    author, _ = Author.objects.get_or_create(
        slug="james-beardsworth", defaults={"name": "James Beardsworth"}
    )
    Byline.objects.create(article=article, author=author)
    speaker, _ = Speaker.objects.get_or_create(
        slug="victor-khrenin", defaults={"name": "Victor Khrenin"}
    )
    for n in range(1, sections + 1):
        section = QuestionSection.objects.create(
            article=article,
            position=n,
            question=f"Question number {n}?",
            answer=f"<p>Answer {n}.</p>",
        )
        for q in range(quotes_per_section):
            Quote.objects.create(
                article=article,
                section=section,
                position=q,
                text=f"Words {n}.{q}",
                speaker=speaker,
                speaker_role="Belarusian Defense Minister",
            )
    return article


@pytest.fixture
def roles(db):
    call_command("setup_roles", verbosity=0)


def staff(django_user_model, username, role, **extra):
    user = django_user_model.objects.create_user(
        username, password=f"pw-{username}-1", is_staff=True, **extra
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def editor(roles, django_user_model):
    return staff(django_user_model, "editor", "Editor", first_name="Ed", last_name="Itor")


@pytest.fixture
def reporter(roles, django_user_model):
    return staff(django_user_model, "reporter", "Reporter", first_name="Rita", last_name="Porter")


@pytest.fixture
def other_reporter(roles, django_user_model):
    return staff(django_user_model, "other", "Reporter")


@pytest.fixture
def admin_user(roles, django_user_model):
    return staff(django_user_model, "chief", "Admin")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def reporter_client(client, reporter):
    client.force_login(reporter)
    return client


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what a write does once its transaction commits (each test runs inside one)."""

    def committed():
        return django_capture_on_commit_callbacks(execute=True)

    return committed


@pytest.fixture
def reader():
    """An anonymous visitor, apart from the logged-in `client` of the staff fixtures."""
    from django.test import Client

    return Client()


@pytest.fixture
def story(db):
    """A published explainer tagged "Belarus"."""
    article = make_article(slug="story", headline="The story")
    article.tags.add("Belarus")
    return article


def pytest_collection_modifyitems(items):
    """Tests driving a real browser are marked `browser`: `pytest -m browser` runs them alone
    (to repeat them on a loaded machine, say), `-m "not browser"` runs the rest."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
