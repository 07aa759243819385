"""The change pipeline (explainers.changes): every write path reaches the anonymous reader's
cached page on the next request. With REDIS_URL set (the second CI pass) the page cache is Redis,
as in production."""

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.core.management import call_command
from reversion.models import Version
from taggit.models import Tag

from explainers import changes, pagecache
from explainers.models import Article, ArticleDocument, Source
from tests.conftest import NO_LOCAL_NAMES, make_article, make_photo
from tests.test_admin import change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.NEWSROOM_PAGE_CACHE = True


def cached_read(reader, url):
    """Read a page twice, so the second answer comes from the page cache."""
    reader.get(url)
    response = reader.get(url)
    assert response["X-Cache"] == "HIT", "the page should be cached before the write"
    return response


def tag_names(reader, url):
    html = BeautifulSoup(reader.get(url).content, "html.parser")
    return [a.text.strip() for a in html.select('a[href^="/tags/"]')]


def page(reader, url):
    response = reader.get(url)
    return response, BeautifulSoup(response.content, "html.parser")


def test_a_tag_renamed_in_the_admin_is_renamed_on_the_cached_article_page(
    reader, editor_client, story, on_commit
):
    cached_read(reader, story.get_absolute_url())
    tag = Tag.objects.get(name="Belarus")
    with on_commit():
        response = editor_client.post(
            f"/admin/taggit/tag/{tag.pk}/change/",
            {"name": "Belarus politics", "slug": "minsk", **NO_LOCAL_NAMES},
        )
    assert response.status_code == 302
    assert tag_names(reader, story.get_absolute_url()) == ["Belarus politics"]
    assert reader.get("/tags/minsk/").status_code == 200


def test_a_tag_deleted_in_the_admin_leaves_the_cached_article_page(
    reader, editor_client, story, on_commit
):
    cached_read(reader, story.get_absolute_url())
    tag = Tag.objects.get(name="Belarus")
    with on_commit():
        response = editor_client.post(f"/admin/taggit/tag/{tag.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert tag_names(reader, story.get_absolute_url()) == []
    assert reader.get("/tags/belarus/").status_code == 404


def test_tags_merged_in_the_admin_reach_the_cached_article_page(
    reader, editor_client, story, on_commit
):
    story.tags.add("Minsk")
    other = make_article(slug="other", headline="Another story")
    other.tags.add("Belarus")
    cached_read(reader, story.get_absolute_url())
    cached_read(reader, other.get_absolute_url())
    ids = [str(pk) for pk in Tag.objects.values_list("pk", flat=True)]
    with on_commit():
        response = editor_client.post(
            "/admin/taggit/tag/",
            {"action": "merge_tags", "_selected_action": ids, "apply": "1", "name": "Belarus"},
        )
    assert response.status_code == 302
    assert list(Tag.objects.values_list("name", flat=True)) == ["Belarus"]
    assert tag_names(reader, story.get_absolute_url()) == ["Belarus"]
    assert reader.get("/tags/minsk/").status_code == 404


def test_a_photo_credit_changed_in_the_admin_reaches_the_cached_article_page(
    reader, editor_client, story, on_commit
):
    photo = make_photo(credit="Reuters")
    with on_commit():
        story.hero_photo = photo
        story.save()
    cached_read(reader, story.get_absolute_url())
    url = f"/admin/photos/photo/{photo.pk}/change/"
    data = {
        "title": photo.title,
        "alt_text": photo.alt_text,
        "caption": photo.caption,
        "credit": "Pool photo via AP",
        "source_agency": photo.source_agency,
        "taken_on": "",
        "tags": "",
        "focal_x": photo.focal_x,
        "focal_y": photo.focal_y,
    }
    with on_commit():
        response = editor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Pool photo via AP" in reader.get(story.get_absolute_url()).content.decode()


def test_rebuild_renditions_leaves_no_cached_page_pointing_at_deleted_files(
    reader, story, on_commit, media_root
):
    photo = make_photo()
    with on_commit():
        story.hero_photo = photo
        story.save()
    cached_read(reader, story.get_absolute_url())
    with on_commit():
        call_command("rebuild_renditions", verbosity=0)
    html = BeautifulSoup(reader.get(story.get_absolute_url()).content, "html.parser")
    images = [img["src"] for img in html.select("picture img")]
    images += [
        candidate.split()[0]
        for source in html.select("picture source")
        for candidate in source["srcset"].split(",")
    ]
    assert images
    for url in images:
        assert (media_root / url.split("/media/", 1)[1]).exists(), f"{url} was deleted"


def test_rebuild_documents_refreshes_cached_pages_after_a_write_around_the_orm(
    reader, story, on_commit
):
    cached_read(reader, story.get_absolute_url())
    # A bulk update sends no signal: the article body template, or a migration, changed pages
    # without a save.
    Article.objects.filter(pk=story.pk).update(dek="Rewritten by a data migration.")
    with on_commit():
        call_command("rebuild_documents", verbosity=0)
    assert "Rewritten by a data migration." in reader.get(story.get_absolute_url()).content.decode()


def test_restoring_a_revision_in_the_admin_reaches_the_cached_article_page(
    reader, editor_client, story, on_commit
):
    with on_commit():
        data = form_data(editor_client.get(change_url(story)))
        editor_client.post(change_url(story), {**data, "headline": "First headline"})
    with on_commit():
        data = form_data(editor_client.get(change_url(story)))
        editor_client.post(change_url(story), {**data, "headline": "Second headline"})
    cached_read(reader, story.get_absolute_url())
    first = Version.objects.get_for_object(story).last()
    revision_url = f"/admin/explainers/article/{story.pk}/history/{first.pk}/"
    with on_commit():
        data = form_data(editor_client.get(revision_url))
        response = editor_client.post(revision_url, data)
    assert response.status_code == 302
    assert Article.objects.get(pk=story.pk).headline == "First headline"
    assert "First headline" in reader.get(story.get_absolute_url()).content.decode()


def test_a_source_unlinked_from_its_side_leaves_the_cached_article_page(reader, story, on_commit):
    source = Source.objects.create(name="Belta", kind=Source.Kind.AGENCY)
    with on_commit():
        story.lead_sources.add(source)
    assert "Belta" in cached_read(reader, story.get_absolute_url()).content.decode()
    with on_commit():
        source.lead_citations.clear()
    assert "Belta" not in reader.get(story.get_absolute_url()).content.decode()


def test_a_new_slug_takes_the_article_off_its_old_address_and_onto_the_home_page(
    reader, editor_client, story, on_commit
):
    old_url = story.get_absolute_url()
    cached_read(reader, old_url)
    cached_read(reader, "/")
    with on_commit():
        data = form_data(editor_client.get(change_url(story)))
        editor_client.post(change_url(story), {**data, "slug": "renamed-story"})
    # The cached page is gone from the old address, which now sends readers on (issue 17).
    moved = reader.get(old_url)
    assert moved.status_code == 301 and moved["Location"].endswith("/renamed-story/")
    _, html = page(reader, "/")
    assert any("renamed-story" in a["href"] for a in html.select("a[href]"))


def test_an_article_deleted_in_the_admin_leaves_every_cached_page(
    reader, editor_client, story, on_commit
):
    cached_read(reader, story.get_absolute_url())
    cached_read(reader, "/tags/belarus/")
    with on_commit():
        response = editor_client.post(
            f"/admin/explainers/article/{story.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302
    assert reader.get(story.get_absolute_url()).status_code == 404
    assert "The story" not in reader.get("/tags/belarus/").content.decode()


def test_the_pipeline_rebuilds_documents_before_invalidating_pages_and_then_tells_listeners(
    story, on_commit
):
    seen = []

    def listener(sender, article_ids, groups, **kwargs):
        stored = ArticleDocument.objects.filter(article_id=story.pk).first()
        seen.append((set(article_ids), stored is not None and "Changed dek" in stored.body))
        assert f"article:{story.slug}" in groups

    key = pagecache.group_key(f"article:{story.slug}")
    token = pagecache.tokens([f"article:{story.slug}"])[key]
    changes.pages_changed.connect(listener)
    try:
        with on_commit():
            story.dek = "Changed dek"
            story.save()
    finally:
        changes.pages_changed.disconnect(listener)
    assert seen == [({story.pk}, True)]
    assert cache.get(key) != token


def test_forty_part_writes_in_one_transaction_rebuild_the_article_once(story, on_commit):
    rebuilt = []

    def listener(sender, article_ids, **kwargs):
        rebuilt.append(article_ids)

    changes.pages_changed.connect(listener)
    try:
        with on_commit():
            for section in story.sections.all():
                for n in range(20):
                    section.answer = f"<p>Answer {n}.</p>"
                    section.save()
    finally:
        changes.pages_changed.disconnect(listener)
    assert rebuilt == [{story.pk}]


def test_a_failed_rebuild_still_leaves_no_stale_page(reader, story, on_commit, monkeypatch):
    from explainers import document

    cached_read(reader, story.get_absolute_url())

    def broken(article_ids):
        raise RuntimeError("the template is broken")

    monkeypatch.setattr(document, "rebuild", broken)
    with pytest.raises(RuntimeError), on_commit():
        story.headline = "The story, corrected"
        story.save()
    monkeypatch.undo()
    assert "The story, corrected" in reader.get(story.get_absolute_url()).content.decode()


def test_authors_added_in_bulk_reach_the_cached_article_page(reader, story, on_commit):
    from explainers.models import Author

    cached_read(reader, story.get_absolute_url())
    author = Author.objects.create(name="Anna Petrova", slug="anna-petrova")
    with on_commit():
        story.authors.add(author)
    assert "Anna Petrova" in reader.get(story.get_absolute_url()).content.decode()
