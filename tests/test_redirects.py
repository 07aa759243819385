"""
Never break a link (issue 17, first part): a published article's old addresses answer 301 to
where it is now, recorded automatically and kept by editors in the admin; an expiry time takes an
article down (410) at that moment with no job to run, and it leaves the lists, feeds and sitemaps.
"""

import datetime
from unittest import mock

import feedparser
import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from explainers.models import Article, Redirect
from explainers.pagecache import edge_key
from tests.conftest import make_article

pytestmark = pytest.mark.django_db

OCTOBER = timezone.make_aware(datetime.datetime(2022, 10, 11, 12, 0))


@pytest.fixture
def story(on_commit):
    with on_commit():
        return make_article(slug="union-state", published_at=OCTOBER)


def move(article, on_commit, **fields):
    with on_commit():
        for name, value in fields.items():
            setattr(article, name, value)
        article.save()
    return article


# Old addresses.


def test_a_new_slug_leaves_the_old_address_redirecting_to_the_new_one(client, story, on_commit):
    old = story.get_absolute_url()
    move(story, on_commit, slug="the-union-state-explained")
    response = client.get(old, {"utm_source": "newsletter"})
    assert response.status_code == 301
    assert response["Location"] == "/2022/10/11/the-union-state-explained/?utm_source=newsletter"
    assert client.get(story.get_absolute_url()).status_code == 200
    # Public, and keyed by the article for the edge to drop it when the article changes.
    assert "public" in response["Cache-Control"]
    assert set(response["xkey"].split()) == {edge_key(f"article-id:{story.pk}"), edge_key("site")}


def test_a_new_date_and_a_second_move_go_straight_to_the_newest_address(client, story, on_commit):
    first = story.get_absolute_url()
    move(story, on_commit, published_at=OCTOBER + datetime.timedelta(days=1))
    second = story.get_absolute_url()
    move(story, on_commit, slug="renamed")
    for old in (first, second):
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, "/2022/10/12/renamed/")
    assert set(Redirect.objects.values_list("old_path", flat=True)) == {first, second}


def test_moving_back_to_an_old_address_never_loops(client, story, on_commit):
    old = story.get_absolute_url()
    move(story, on_commit, slug="renamed")
    move(story, on_commit, slug="union-state")
    assert client.get(old).status_code == 200
    assert client.get("/2022/10/11/renamed/")["Location"] == old
    assert list(Redirect.objects.values_list("old_path", flat=True)) == ["/2022/10/11/renamed/"]


def test_a_draft_or_scheduled_article_has_no_old_address_to_keep(on_commit):
    with on_commit():
        draft = make_article(slug="draft", status=Article.Status.DRAFT, published_at=None)
        later = make_article(slug="later", published_at=timezone.now() + datetime.timedelta(days=1))
    move(draft, on_commit, slug="draft-renamed")
    move(later, on_commit, slug="later-renamed")
    assert not Redirect.objects.exists()


def test_a_cyrillic_address_redirects_too(client, on_commit):
    with on_commit():
        story = make_article(slug="союзное-государство", published_at=OCTOBER, language="ru")
    old = story.get_absolute_url()
    move(story, on_commit, slug="что-такое-союзное-государство")
    response = client.get(old)
    assert response.status_code == 301 and response["Location"] == story.get_absolute_url()


def test_an_old_address_of_an_article_taken_down_is_gone(client, story, on_commit):
    old = story.get_absolute_url()
    move(story, on_commit, slug="renamed")
    move(story, on_commit, status=Article.Status.UNPUBLISHED)
    assert client.get(old).status_code == 410
    assert client.get("/2022/10/11/renamed/").status_code == 410


def test_only_a_404_asks_for_a_redirect(client, story):
    Redirect.objects.create(old_path="/archive/", article=story)
    assert client.get("/archive/").status_code == 200  # a page that exists answers itself
    assert client.post("/no-such-page/").status_code == 404


# Editors keep the redirects.


def test_an_editor_adds_a_redirect_for_an_address_from_the_old_site(editor_client, client, story):
    response = editor_client.post(
        reverse("admin:explainers_redirect_add"),
        {"old_path": "/news/2022/union-state.html", "article": story.pk},
    )
    assert response.status_code == 302
    assert client.get("/news/2022/union-state.html")["Location"] == story.get_absolute_url()
    listing = editor_client.get(reverse("admin:explainers_redirect_changelist"))
    assert "/news/2022/union-state.html" in listing.content.decode()


@pytest.mark.parametrize(
    "path,message",
    [
        ("https://elsewhere.example/x", "An address on this site"),
        ("news/x", "An address on this site"),
        ("/2022/10/11/union-state/", "That is where the article is now"),
    ],
)
def test_a_redirect_that_cannot_work_is_refused_with_a_reason(editor_client, story, path, message):
    response = editor_client.post(
        reverse("admin:explainers_redirect_add"), {"old_path": path, "article": story.pk}
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not Redirect.objects.exists()


def test_reporters_do_not_manage_redirects(reporter_client, story):
    Redirect.objects.create(old_path="/old/", article=story)
    for url in (
        reverse("admin:explainers_redirect_changelist"),
        reverse("admin:explainers_redirect_add"),
        reverse("admin:explainers_redirect_delete", args=[Redirect.objects.get().pk]),
    ):
        assert reporter_client.get(url).status_code == 403, url


# Expiry.


def test_an_expired_article_is_gone_and_leaves_every_list(client, story):
    Article.objects.filter(pk=story.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert client.get(story.get_absolute_url()).status_code == 410
    assert story.headline not in client.get("/").content.decode()
    assert feedparser.parse(client.get("/feeds/rss/").content).entries == []
    assert story.get_absolute_url() not in client.get("/sitemap-articles.xml").content.decode()
    assert client.get("/api/v1/articles/").json()["results"] == []


def test_an_article_expires_on_time_although_its_pages_are_cached(client, story):
    soon = timezone.now() + datetime.timedelta(minutes=30)
    Article.objects.filter(pk=story.pk).update(expires_at=soon)
    assert client.get(story.get_absolute_url()).status_code == 200
    assert client.get("/")["X-Cache"] in ("MISS", "HIT")
    assert client.get("/")["X-Cache"] == "HIT"
    # No page outlives the expiry, at the origin or at the edge.
    assert int(client.get("/")["Cache-Control"].split("max-age=")[1].split(",")[0]) <= 1800
    later = soon + datetime.timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert client.get(story.get_absolute_url()).status_code == 410
        home = client.get("/")
    assert home["X-Cache"] == "MISS" and story.headline not in home.content.decode()


def test_an_editor_sets_the_takedown_time(editor_client):
    form = BeautifulSoup(
        editor_client.get(reverse("admin:explainers_article_add")).content, "html.parser"
    )
    assert form.select_one('input[name="expires_at_0"]') is not None


def test_a_reporter_does_not_set_the_takedown_time(reporter_client):
    form = BeautifulSoup(
        reporter_client.get(reverse("admin:explainers_article_add")).content, "html.parser"
    )
    assert form.select_one('input[name^="expires_at"]') is None


def test_staff_see_an_expired_article_with_a_banner(editor_client, story):
    Article.objects.filter(pk=story.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    page = BeautifulSoup(editor_client.get(story.get_absolute_url()).content, "html.parser")
    assert "its expiry time" in page.text and "not public" in page.text


def test_a_takedown_before_the_publication_is_refused(editor_client):
    from explainers.forms import ArticleAdminForm

    form = ArticleAdminForm(
        data={
            "headline": "Soon gone",
            "slug": "soon-gone",
            "status": Article.Status.DRAFT,
            "published_at": "2022-10-11 12:00",
            "expires_at": "2022-10-10 12:00",
            "language": "en",
        }
    )
    form.check_concurrent_edits = False
    assert not form.is_valid()
    assert form.errors["expires_at"] == ["Take it down after its publication date, not before."]


def test_published_and_expired_agree_with_their_instance_methods(story):
    for offset, visible in ((-1, False), (1, True)):
        story.expires_at = timezone.now() + datetime.timedelta(minutes=offset)
        story.save()
        assert (story in Article.objects.published()) is visible
        assert story.is_published() is visible
        assert (story in Article.objects.expired()) is not visible
        assert story.is_expired() is not visible
