"""
A story in several languages (issue 16, first part): each version is its own article, linked by a
translation key; "Translate into …" in the admin; the reader's page in its language, under its
language's prefix, with reciprocal hreflang links, a language switch and JSON-LD.
"""

import datetime
import json

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from explainers import workflow
from explainers.models import Article, Speaker, UpdateNote
from tests.conftest import make_article

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def translate_url(article):
    return reverse("admin:explainers_article_translate", args=[article.pk])


def change_url(article):
    return reverse("admin:explainers_article_change", args=[article.pk])


def translated(original, editor, on_commit, **fields):
    """The Russian version of `original`, rewritten and published."""
    with on_commit():
        version = workflow.translate(editor, original, "ru")
        version.headline = fields.get("headline", "Что такое Союзное государство?")
        version.slug = fields.get("slug", "что-такое-союзное-государство")
        version.status = Article.Status.PUBLISHED
        version.published_at = fields.get("published_at", original.published_at)
        version.save()
    return version


def head_links(client, url):
    html = BeautifulSoup(client.get(url).content, "html.parser")
    return html, {
        link["hreflang"]: link["href"] for link in html.select('link[rel="alternate"][hreflang]')
    }


def test_an_editor_translates_an_article_from_its_admin_page(editor_client, on_commit):
    with on_commit():
        original = make_article(sections=3, quotes_per_section=2)
        original.tags.add("Belarus")
    page = editor_client.get(change_url(original)).content.decode()
    assert "Translate into Russian" in page and "No other language yet" in page
    with on_commit():
        response = editor_client.post(translate_url(original), {"_translate_into": "ru"})
    version = Article.objects.get(language="ru")
    assert response.status_code == 302 and response["Location"] == change_url(version)
    assert version.status == Article.Status.DRAFT and version.translated_from == original
    assert version.translation_key == original.translation_key
    # The structure, for the translator to rewrite: questions, quotes with the same speakers.
    assert [s.question for s in version.sections.all()] == [
        s.question for s in original.sections.all()
    ]
    assert version.quotes.count() == 6
    assert {q.speaker_id for q in version.quotes.all()} == {
        q.speaker_id for q in original.quotes.all()
    }
    assert [t.name for t in version.tags.all()] == ["Belarus"]
    assert version.bylines.count() == 1
    assert original.quotes.count() == 6  # the original is untouched
    # Both pages list the other; no second Russian version can be started.
    assert "Translate into Russian" not in editor_client.get(change_url(original)).content.decode()
    again = editor_client.post(translate_url(original), {"_translate_into": "ru"}, follow=True)
    assert "already has a version in Russian" in again.content.decode()
    assert Article.objects.count() == 2
    assert "English" in editor_client.get(change_url(version)).content.decode()


def test_a_reporter_translates_only_what_she_may_open(reporter_client, reporter, other_reporter):
    mine = make_article(slug="mine", status="draft", published_at=None, created_by=reporter)
    theirs = make_article(
        slug="theirs", status="draft", published_at=None, created_by=other_reporter
    )
    assert reporter_client.post(translate_url(theirs), {"_translate_into": "ru"}).status_code in (
        302,
        403,
    )
    assert not Article.objects.filter(language="ru").exists()
    reporter_client.post(translate_url(mine), {"_translate_into": "ru"})
    version = Article.objects.get(language="ru")
    assert version.created_by == reporter and version.translated_from == mine
    assert reporter_client.get(translate_url(mine)).status_code == 405  # POST only


def test_a_forged_language_is_refused(editor_client):
    original = make_article()
    for code in ("xx", "en", ""):
        editor_client.post(translate_url(original), {"_translate_into": code})
    assert Article.objects.count() == 1


def test_the_versions_link_to_each_other_with_hreflang(client, editor, on_commit):
    with on_commit():
        original = make_article()
    version = translated(original, editor, on_commit)
    assert version.get_absolute_url().startswith("/ru/")
    english = client.get(original.get_absolute_url())
    assert english.status_code == 200
    html, links = head_links(client, original.get_absolute_url())
    assert html.html["lang"] == "en"
    russian_html, russian_links = head_links(client, version.get_absolute_url())
    assert russian_html.html["lang"] == "ru"
    expected = {
        "en": f"http://testserver{original.get_absolute_url()}",
        "ru": f"http://testserver{version.get_absolute_url()}",
        "x-default": f"http://testserver{original.get_absolute_url()}",
    }
    assert links == russian_links == expected
    switch = html.select_one(".language-switch a")
    assert switch["href"] == version.get_absolute_url() and switch["lang"] == "ru"
    assert switch.text == "Русский"
    data = json.loads(russian_html.select_one('script[type="application/ld+json"]').string)
    assert data["inLanguage"] == "ru"
    assert data["translationOfWork"]["@id"] == expected["en"]
    original_data = json.loads(html.select_one('script[type="application/ld+json"]').string)
    assert original_data["workTranslation"][0]["@id"] == expected["ru"]


def test_an_unpublished_or_scheduled_version_is_not_linked(client, editor, on_commit):
    with on_commit():
        original = make_article()
        draft = workflow.translate(editor, original, "ru")
    _, links = head_links(client, original.get_absolute_url())
    assert links == {}
    with on_commit():
        draft.status = Article.Status.PUBLISHED
        draft.published_at = NOW + datetime.timedelta(hours=1)
        draft.save()
    html, links = head_links(client, original.get_absolute_url())
    assert links == {} and not html.select(".language-switch")


def test_publishing_a_version_refreshes_the_other_cached_page(client, editor, on_commit):
    with on_commit():
        original = make_article()
    assert client.get(original.get_absolute_url())["X-Cache"] == "MISS"
    assert client.get(original.get_absolute_url())["X-Cache"] == "HIT"
    version = translated(original, editor, on_commit)
    response = client.get(original.get_absolute_url())
    assert response["X-Cache"] == "MISS"
    assert version.get_absolute_url().encode() in response.content


def test_an_address_in_the_wrong_language_goes_to_the_right_one(client):
    article = make_article()
    url = article.get_absolute_url()
    response = client.get("/ru" + url)
    assert response.status_code == 301 and response["Location"] == url


def test_a_translation_is_flagged_out_of_date_when_its_original_is_corrected(
    editor_client, editor, on_commit
):
    with on_commit():
        original = make_article()
    version = translated(original, editor, on_commit)
    assert "out of date" not in editor_client.get(change_url(original)).content.decode()
    with on_commit():
        UpdateNote.objects.create(
            article=original,
            kind="correction",
            text="The minister's name was misspelled.",
            noted_at=timezone.now() + datetime.timedelta(seconds=1),
        )
    page = editor_client.get(change_url(original)).content.decode()
    assert "out of date: its original was corrected after it was last saved" in page
    Article.objects.filter(pk=version.pk).update(
        updated_at=timezone.now() + datetime.timedelta(seconds=5)
    )
    assert "out of date" not in editor_client.get(change_url(original)).content.decode()


def test_a_speaker_is_shared_by_the_versions(client, editor, on_commit):
    with on_commit():
        original = make_article()
    version = translated(original, editor, on_commit)
    speaker = Speaker.objects.get()
    assert set(speaker.quotes.values_list("article", flat=True)) == {original.pk, version.pk}


def test_restoring_a_revision_from_before_translations_keeps_the_story_together(
    editor_client, editor, on_commit, client
):
    from reversion.models import Version

    from tests.test_admin import errors, form_data
    from tests.test_workflow import save_via_admin

    with on_commit():
        original = make_article()
    save_via_admin(editor_client, original, headline="The first headline")
    first = Version.objects.get_for_object(original).first()
    # A revision saved before articles had languages and translation keys.
    fields = json.loads(first.serialized_data)
    for name in ("language", "translation_key", "translated_from"):
        fields[0]["fields"].pop(name, None)
    Version.objects.filter(pk=first.pk).update(serialized_data=json.dumps(fields))
    version = translated(original, editor, on_commit)
    key = Article.objects.get(pk=original.pk).translation_key

    url = reverse("admin:explainers_article_revision", args=[original.pk, first.pk])
    with on_commit():
        response = editor_client.post(url, form_data(editor_client.get(url)), follow=True)
    assert errors(response) == []
    original.refresh_from_db()
    assert original.headline == "The first headline"
    assert (original.translation_key, original.language) == (key, "en")
    assert list(original.versions()) == [version]
    _, links = head_links(client, version.get_absolute_url())
    assert set(links) == {"en", "ru", "x-default"}


def test_a_version_in_a_language_no_longer_offered_still_serves(client, settings, on_commit):
    with on_commit():
        original = make_article()
        Article.objects.create(
            headline="Eine Geschichte",
            slug="eine-geschichte",
            language="de",  # not in settings.LANGUAGES
            translation_key=original.translation_key,
            status=Article.Status.PUBLISHED,
            published_at=original.published_at,
        )
    html, links = head_links(client, original.get_absolute_url())
    assert links["de"].endswith("/eine-geschichte/") and "/de/" not in links["de"]
    german = Article.objects.get(language="de")
    assert client.get(german.get_absolute_url()).status_code == 200


def test_a_language_django_does_not_know_is_named_as_the_newsroom_names_it(settings):
    from explainers.languages import language_in_itself

    settings.LANGUAGES = [*settings.LANGUAGES, ("ua", "Ukrainian")]
    assert language_in_itself("ru") == "Русский"
    assert language_in_itself("ua") == "Ukrainian"


def test_the_translate_address_answers_only_a_post(editor_client):
    original = make_article()
    assert editor_client.get(translate_url(original)).status_code == 405
    assert Article.objects.count() == 1


def test_two_clicks_on_translate_make_one_version(editor, monkeypatch):
    original = make_article()
    workflow.translate(editor, original, "ru")
    # The second click passed the check before the first committed.
    monkeypatch.setattr(Article, "versions", lambda self: Article.objects.none())
    with pytest.raises(workflow.Refused, match="already has a version in Russian"):
        workflow.translate(editor, Article.objects.get(pk=original.pk), "ru")
    assert Article.objects.filter(language="ru").count() == 1


def test_a_russian_page_speaks_russian_and_an_english_one_english(client, editor, on_commit):
    with on_commit():
        original = make_article(
            published_at=timezone.make_aware(datetime.datetime(2022, 10, 11, 12, 0)),
            contributed_by="AFP",
        )
    version = translated(original, editor, on_commit)
    russian = BeautifulSoup(client.get(version.get_absolute_url()).content, "html.parser")
    assert russian.select_one(".dateline time").text == "11 октября 2022"
    assert russian.select_one(".question-link a").text == "Ссылка на этот вопрос"
    assert russian.select_one("#contents").text == "В этом материале"
    assert russian.select_one(".contributed").text == "При участии AFP."
    assert russian.select_one(".site-nav a").text == "Свежее"
    assert "по данным" not in str(russian)  # make_article's quotes name no source

    english = BeautifulSoup(client.get(original.get_absolute_url()).content, "html.parser")
    assert english.select_one(".dateline time").text == "October 11, 2022"
    assert english.select_one(".question-link a").text == "Link to this question"
    assert english.select_one(".contributed").text == "AFP contributed reporting."


def test_each_language_has_its_home_page_and_feeds(client, editor, on_commit):
    import feedparser

    with on_commit():
        original = make_article()
    version = translated(original, editor, on_commit)
    english = BeautifulSoup(client.get("/").content, "html.parser")
    russian_response = client.get("/ru/")
    assert russian_response.status_code == 200
    russian = BeautifulSoup(russian_response.content, "html.parser")
    assert [a.text for a in english.select(".card-headline a")] == [original.headline]
    assert [a.text for a in russian.select(".card-headline a")] == [version.headline]
    assert russian.html["lang"] == "ru" and russian.select_one("h1").text == "Свежие материалы"
    homes = {
        link["hreflang"]: link["href"] for link in russian.select('link[rel="alternate"][hreflang]')
    }
    assert homes == {
        "en": "http://testserver/",
        "ru": "http://testserver/ru/",
        "x-default": "http://testserver/",
    }
    assert russian.select_one(".site-nav a")["href"] == "/ru/"
    feed = feedparser.parse(client.get("/ru/feeds/rss/").content)
    assert [entry.title for entry in feed.entries] == [version.headline]
    assert feed.feed.language == "ru"
    atom = feedparser.parse(client.get("/ru/feeds/atom/").content)
    assert [entry.title for entry in atom.entries] == [version.headline]
    assert [e.title for e in feedparser.parse(client.get("/feeds/rss/").content).entries] == [
        original.headline
    ]
    # The Russian article's own navigation leads to the Russian home page.
    page = BeautifulSoup(client.get(version.get_absolute_url()).content, "html.parser")
    assert page.select_one(".site-nav a")["href"] == "/ru/"
    assert client.get("/xx/").status_code == 404
