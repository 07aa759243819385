"""
Every reader page in every language (issue 16, second part): the Russian archives, tag, author,
speaker, source and search pages under /ru/, linked to their English twins with reciprocal
hreflang, in the page head and in the sitemaps; names of speakers, sources and tags as Russian
writes them; search per language (stemmed on PostgreSQL); Russian explainers imported.
"""

import datetime
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from explainers.importer import parse_explainer
from explainers.models import Article, LocalName, QuestionSection, Quote, Source, Speaker
from tests.conftest import make_article
from tests.test_translations import head_links, translated

pytestmark = pytest.mark.django_db

RUSSIAN = Path(__file__).parent / "russian"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture
def story(editor, on_commit):
    """An English explainer citing a source and quoting a speaker, tagged, and its Russian
    version, both published."""
    with on_commit():
        original = make_article(
            published_at=timezone.make_aware(datetime.datetime(2022, 10, 11, 12, 0)),
            lead="<p>Troops are gathering near the border.</p>",
        )
        original.tags.add("Belarus")
        source = Source.objects.create(name="Belta", kind=Source.Kind.AGENCY)
        original.lead_sources.add(source)
        Quote.objects.filter(article=original).update(source=source)
    version = translated(original, editor, on_commit)
    with on_commit():
        version.lead = "<p>Войска собираются у границы.</p>"
        version.save()
    return original, version


def name_in_russian(record, name):
    return LocalName.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        language="ru",
        name=name,
    )


# Every page type, in both languages, with reciprocal hreflang.

PAGES = [
    ("explainers:home", {}),
    ("explainers:archive", {}),
    ("explainers:month", {"year": 2022, "month": 10}),
    ("explainers:tag", {"slug": "belarus"}),
    ("explainers:author", {"slug": "james-beardsworth"}),
    ("explainers:speaker", {"slug": "victor-khrenin"}),
    ("explainers:source", None),
]


def addresses(name, kwargs, source):
    from django.utils import translation

    kwargs = {"pk": source.pk} if kwargs is None else kwargs
    with translation.override("ru"):
        russian = reverse(name, kwargs=kwargs)
    return reverse(name, kwargs=kwargs), russian


@pytest.mark.parametrize("name,kwargs", PAGES, ids=[name.split(":")[1] for name, _ in PAGES])
def test_every_page_type_has_its_russian_twin_and_they_link_each_other(client, story, name, kwargs):
    english_url, russian_url = addresses(name, kwargs, Source.objects.get())
    assert russian_url.startswith("/ru/") and not english_url.startswith("/ru/")
    english, english_links = head_links(client, english_url)
    russian, russian_links = head_links(client, russian_url)
    expected = {
        "en": f"http://testserver{english_url}",
        "ru": f"http://testserver{russian_url}",
        "x-default": f"http://testserver{english_url}",
    }
    assert english_links == russian_links == expected
    assert english.html["lang"] == "en" and russian.html["lang"] == "ru"
    # The Russian page's words and navigation are Russian.
    assert russian.select_one(".site-nav a")["href"] == "/ru/"
    assert russian.select_one(".site-search")["action"] == "/ru/search/"
    assert "Архив" in russian.select_one(".site-nav").text


def test_the_article_pages_link_each_other_and_their_russian_links_stay_russian(client, story):
    original, version = story
    russian, links = head_links(client, version.get_absolute_url())
    assert links["en"] == f"http://testserver{original.get_absolute_url()}"
    tag_links = [a["href"] for a in russian.select('a[href*="/tags/"]')]
    assert tag_links and all(href.startswith("/ru/tags/") for href in tag_links)
    assert russian.select_one("a.speaker")["href"].startswith("/ru/speakers/")


def test_lists_in_one_language_show_only_that_languages_explainers(client, story):
    original, version = story
    for url, shown, hidden in [
        ("/archive/2022/10/", original, version),
        ("/ru/archive/2022/10/", version, original),
        ("/tags/belarus/", original, version),
        ("/ru/tags/belarus/", version, original),
        ("/authors/james-beardsworth/", original, version),
        ("/ru/authors/james-beardsworth/", version, original),
    ]:
        text = client.get(url).content.decode()
        assert shown.headline in text and hidden.headline not in text, url
    speaker = client.get("/ru/speakers/victor-khrenin/").content.decode()
    assert version.get_absolute_url() in speaker and original.get_absolute_url() not in speaker


def test_the_russian_archive_is_in_russian_words_and_dates(client, story):
    page = BeautifulSoup(client.get("/ru/archive/").content, "html.parser")
    assert page.select_one("h1").text == "Архив"
    assert page.select_one(".month-list a")["href"] == "/ru/archive/2022/10/"
    month = BeautifulSoup(client.get("/ru/archive/2022/10/").content, "html.parser")
    assert month.select_one("h1").text == "Октябрь 2022"
    assert month.select_one(".card time").text == "11 октября 2022"


def test_a_tag_feed_in_russian_lists_the_russian_explainers(client, story):
    original, version = story
    feed = feedparser.parse(client.get("/ru/tags/belarus/rss/").content)
    assert [entry.title for entry in feed.entries] == [version.headline]
    assert feed.feed.link == "http://testserver/ru/tags/belarus/"
    english = feedparser.parse(client.get("/tags/belarus/rss/").content)
    assert [entry.title for entry in english.entries] == [original.headline]


def test_a_missing_page_under_ru_is_a_russian_404(client, story):
    response = client.get("/ru/tags/no-such-topic/")
    page = BeautifulSoup(response.content, "html.parser")
    assert response.status_code == 404
    assert page.html["lang"] == "ru" and "Страница не найдена" in page.title.text
    assert not page.select("link[hreflang]")


def test_pages_that_have_no_language_are_not_under_the_prefix(client, story):
    assert client.get("/ru/sitemap.xml").status_code == 404
    assert client.get("/ru/robots.txt").status_code == 404
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /search/" in robots and "Disallow: /ru/search/" in robots


# Sitemaps.


def sitemap_entries(content):
    root = ET.fromstring(content)
    return {
        url.find(f"{SITEMAP}loc").text: {
            link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")
        }
        for url in root.findall(f"{SITEMAP}url")
    }


def test_the_sitemaps_give_every_version_its_alternates_reciprocally(client, story):
    original, version = story
    english = f"http://testserver{original.get_absolute_url()}"
    russian = f"http://testserver{version.get_absolute_url()}"
    entries = sitemap_entries(client.get("/sitemap-articles.xml").content)
    expected = {"en": english, "ru": russian, "x-default": english}
    assert entries == {english: expected, russian: expected}

    index = ET.fromstring(client.get("/sitemap.xml").content)
    sections = {loc.text for loc in index.iter(f"{SITEMAP}loc")}
    assert "http://testserver/sitemap-tags-ru.xml" in sections
    assert "http://testserver/sitemap-authors-ru.xml" in sections
    tags = sitemap_entries(client.get("/sitemap-tags-ru.xml").content)
    assert tags == {
        "http://testserver/ru/tags/belarus/": {
            "en": "http://testserver/tags/belarus/",
            "ru": "http://testserver/ru/tags/belarus/",
            "x-default": "http://testserver/tags/belarus/",
        }
    }
    assert set(sitemap_entries(client.get("/sitemap-tags.xml").content)) == {
        "http://testserver/tags/belarus/"
    }


def test_a_story_in_one_language_has_no_alternates_in_the_sitemap(client, on_commit):
    with on_commit():
        make_article(slug="english-only").tags.add("Minsk")
    entries = sitemap_entries(client.get("/sitemap-articles.xml").content)
    assert list(entries.values()) == [{}]
    assert sitemap_entries(client.get("/sitemap-tags-ru.xml").content) == {}


def test_the_article_sitemap_reads_alternates_in_a_fixed_number_of_queries(
    client, editor, on_commit, django_assert_max_num_queries
):
    # The page's ids, its rows, the translations made from them, those stories' versions, and
    # the page cache's own: however many stories have versions.
    for n in range(3):
        with on_commit():
            original = make_article(slug=f"story-{n}", headline=f"Story {n}")
        translated(original, editor, on_commit, slug=f"история-{n}", headline=f"История {n}")
    with django_assert_max_num_queries(5):
        assert client.get("/sitemap-articles.xml").status_code == 200


# Names in each language.


def test_speakers_sources_and_tags_are_named_as_the_pages_language_writes_them(
    client, story, on_commit
):
    original, version = story
    with on_commit():
        name_in_russian(Speaker.objects.get(), "Виктор Хренин")
        name_in_russian(Source.objects.get(), "БелТА")
        name_in_russian(Tag.objects.get(), "Беларусь")
    russian = BeautifulSoup(client.get(version.get_absolute_url()).content, "html.parser")
    assert russian.select_one("a.speaker").text == "Виктор Хренин"
    assert "БелТА" in russian.select_one(".sources").text
    assert "Беларусь" in [a.text for a in russian.select('a[href^="/ru/tags/"]')]
    english = BeautifulSoup(client.get(original.get_absolute_url()).content, "html.parser")
    assert english.select_one("a.speaker").text == "Victor Khrenin"
    for url, heading in [
        ("/ru/speakers/victor-khrenin/", "Виктор Хренин"),
        (f"/ru/sources/{Source.objects.get().pk}/", "БелТА"),
        ("/ru/tags/belarus/", "Беларусь"),
        ("/tags/belarus/", "Belarus"),
    ]:
        page = BeautifulSoup(client.get(url).content, "html.parser")
        assert page.select_one("h1").text == heading, url


def test_an_editor_names_a_speaker_in_russian_in_the_admin_and_the_page_follows(
    editor_client, client, story, on_commit
):
    original, version = story
    client.get(version.get_absolute_url())  # cached now
    speaker = Speaker.objects.get()
    url = reverse("admin:explainers_speaker_change", args=[speaker.pk])
    form = BeautifulSoup(editor_client.get(url).content, "html.parser")
    prefix = form.select_one('input[name$="-TOTAL_FORMS"]')["name"].removesuffix("-TOTAL_FORMS")
    data = {
        "name": speaker.name,
        "slug": speaker.slug,
        "usual_role": "",
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-0-language": "ru",
        f"{prefix}-0-name": "Виктор Хренин",
    }
    with on_commit():
        response = editor_client.post(url, data)
    assert response.status_code == 302
    page = BeautifulSoup(client.get(version.get_absolute_url()).content, "html.parser")
    assert page.select_one("a.speaker").text == "Виктор Хренин"


def test_a_reporter_may_not_rename_in_russian_a_speaker_a_published_article_quotes(
    reporter_client, story
):
    speaker = Speaker.objects.get()
    url = reverse("admin:explainers_speaker_change", args=[speaker.pk])
    page = reporter_client.get(url)
    assert page.status_code == 200
    assert 'name="local_names' not in page.content.decode().replace("explainers-localname", "")
    prefix = "explainers-localname-content_type-object_id"
    response = reporter_client.post(
        url,
        {
            "name": speaker.name,
            "slug": speaker.slug,
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-language": "ru",
            f"{prefix}-0-name": "Подделка",
        },
    )
    assert response.status_code == 403
    assert not LocalName.objects.exists()


def test_a_name_in_the_sites_own_language_is_not_offered(editor_client, story):
    speaker = Speaker.objects.get()
    page = editor_client.get(reverse("admin:explainers_speaker_change", args=[speaker.pk]))
    options = BeautifulSoup(page.content, "html.parser").select(
        'select[name$="__prefix__-language"] option'
    )
    assert [o["value"] for o in options if o["value"]] == ["ru"]


def test_deleting_a_tag_takes_its_names_with_it(story, on_commit):
    with on_commit():
        name_in_russian(Tag.objects.get(), "Беларусь")
        Tag.objects.all().delete()
    assert not LocalName.objects.exists()


# Search in each language.


def results(client, url, query):
    page = BeautifulSoup(client.get(url, {"q": query}).content, "html.parser")
    return [a.text for a in page.select(".results li h2 a")], page


def test_each_language_searches_its_own_explainers(client, story):
    original, version = story
    assert results(client, "/search/", "troops")[0][0] == original.headline
    assert results(client, "/ru/search/", "troops")[0] == []
    found, page = results(client, "/ru/search/", "Войска")
    assert found == [version.headline]
    assert "1 результат по запросу «Войска»" in page.select_one(".result-count").text
    assert results(client, "/search/", "Войска")[0] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming is PostgreSQL's")
def test_russian_search_on_postgres_stems_the_words(client, story):
    original, version = story
    # «войска» (the lead has «Войска») finds «войск» in a question, and the reverse.
    QuestionSection.objects.filter(article=version).update(
        question="Сколько войск будет задействовано?"
    )
    found, _ = results(client, "/ru/search/", "войска задействованы")
    assert found == ["Сколько войск будет задействовано?"]
    # The English configuration would not stem Russian: English search finds nothing.
    assert results(client, "/search/", "войск")[0] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the indexes are PostgreSQL's")
def test_russian_search_uses_its_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%search%'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"article_search_ru_gin", "section_search_ru_gin"} <= names


def test_search_without_postgres_folds_cyrillic_case(client, story):
    _, version = story
    for query in ("ВОЙСКА", "войска", "Войска"):
        assert results(client, "/ru/search/", query)[0] == [version.headline], query


def test_the_api_searches_in_the_language_asked(client, story):
    original, version = story
    found = client.get("/api/v1/articles/", {"q": "Войска", "language": "ru"}).json()
    assert [row["headline"] for row in found["results"]] == [version.headline]
    english = client.get("/api/v1/articles/", {"q": "Войска"}).json()
    assert english["results"] == []


# Importing Russian explainers.


def test_a_russian_explainer_is_read_into_the_explainer_structure():
    parsed = parse_explainer((RUSSIAN / "union-state.txt").read_bytes())
    assert parsed.language == "ru" and parsed.kicker == "Объясняем"
    assert parsed.headline == "Что такое Союзное государство России и Беларуси?"
    assert parsed.authors == ["Анна Смирнова"]
    assert parsed.published_on == datetime.date(2022, 10, 11)
    assert parsed.credit == "Фото: пресс-служба президента"
    assert [s.question for s in parsed.sections] == [
        "Что такое Союзное государство?",
        "Сколько войск будет задействовано?",
    ]
    quotes = [(q.speaker, q.role, q.context, q.source and q.source.name) for q in parsed.quotes]
    assert quotes == [
        ("Александр Лукашенко", "", "в понедельник", "БелТА"),
        ("Виктор Хренин", "министр обороны Беларуси", "", None),
        ("Александр Лукашенко", "", "", None),
    ]
    assert parsed.quotes[1].text == "Мы не собираемся ни с кем воевать."
    cited = [[(s.name, s.kind) for s in section.body.sources] for section in parsed.sections]
    assert cited == [[("ТАСС", Source.Kind.AGENCY)], [("Интерфакс", Source.Kind.AGENCY)]]
    assert parsed.contributed_by == "Ивана Петрова"
    assert parsed.original_url == "https://example.com/ru/union-state"


def test_a_second_russian_explainer_with_numbered_questions_and_two_authors():
    parsed = parse_explainer((RUSSIAN / "grain-deal.txt").read_bytes())
    assert parsed.kicker == "Разбор" and parsed.authors == ["Мария Иванова", "Олег Сидоров"]
    assert parsed.published_on == datetime.date(2023, 3, 3)
    assert [s.question for s in parsed.sections] == [
        "Что такое зерновая сделка?",
        "Что будет с ценами?",
    ]
    assert [(q.speaker, q.role) for q in parsed.quotes] == [
        ("Мария Захарова", "глава МИД"),
        ("Дмитрий Орлов", "аналитик"),
    ]
    # A quote with no speaker named stays a paragraph, and says so.
    assert "«Это важный шаг»" in parsed.sections[1].body.paragraphs[-1]
    assert any(note.kind == "unattributed" for note in parsed.report)
    assert parsed.sections[0].body.sources[0].name == "РИА Новости"
    assert parsed.contributed_by == "Олег Сидоров"


def test_the_command_imports_russian_explainers_as_russian_articles(client, on_commit):
    for name in ("union-state.txt", "grain-deal.txt"):
        with on_commit():
            call_command("import_explainer", str(RUSSIAN / name), "--publish", verbosity=0)
    union, grain = Article.objects.order_by("published_at")
    assert union.language == grain.language == "ru"
    assert union.get_absolute_url().startswith("/ru/2022/10/11/")
    assert Speaker.objects.filter(name="Виктор Хренин").exists()
    page = BeautifulSoup(client.get(union.get_absolute_url()).content, "html.parser")
    assert page.html["lang"] == "ru"
    assert [a.text for a in page.select("a.speaker")][:2] == [
        "Александр Лукашенко",
        "Виктор Хренин",
    ]
    assert "Сколько войск будет задействовано?" in [h.text for h in page.select("h2")]
    assert results(client, "/ru/search/", "зерновая")[0] == ["Что такое зерновая сделка?"]


def test_the_language_given_overrides_the_one_detected(on_commit):
    with on_commit():
        call_command(
            "import_explainer", str(RUSSIAN / "grain-deal.txt"), "--language", "en", verbosity=0
        )
    assert Article.objects.get().language == "en"
    with pytest.raises(CommandError, match="“xx” is not one of the newsroom's languages"):
        call_command(
            "import_explainer", str(RUSSIAN / "grain-deal.txt"), "--language", "xx", verbosity=0
        )


def test_the_admin_import_page_offers_the_language(editor_client, on_commit):
    url = reverse("admin:explainers_article_import")
    text = (RUSSIAN / "union-state.txt").read_text(encoding="utf-8")
    preview = editor_client.post(url, {"step": "preview", "text": text, "language": ""})
    assert "language: ru (detected from the text)" in preview.content.decode()
    with on_commit():
        editor_client.post(url, {"step": "confirm", "text": text, "language": "ru"})
    article = Article.objects.get()
    assert article.language == "ru" and article.status == Article.Status.DRAFT


def test_the_api_finds_a_russian_article_by_its_address(client, story):
    _, version = story
    found = client.get("/api/v1/articles/by-address/", {"url": version.get_absolute_url()})
    assert found.status_code == 200 and found.json()["headline"] == version.headline
    assert found.json()["language"] == "ru"


# What a second pair of eyes found.


def test_a_russian_articles_stored_data_links_russian_pages_whoever_builds_it(client, story):
    from explainers import document

    _, version = story
    document.rebuild([version.pk])  # as the admin or a background task does, in English
    stored = Article.objects.get(pk=version.pk).document
    assert "/ru/speakers/victor-khrenin/" in str(stored.json_ld)
    assert "/speakers/victor-khrenin/" not in str(stored.json_ld).replace("/ru/speakers/", "")
    row = client.get("/api/v1/articles/", {"language": "ru"}).json()["results"][0]
    assert row["tags"][0]["url"] == "http://testserver/ru/tags/belarus/"
    assert row["authors"][0]["url"] == "http://testserver/ru/authors/james-beardsworth/"


def test_a_first_visit_with_a_tracking_parameter_keeps_the_cached_pages_hreflang(client, story):
    client.get("/tags/belarus/", {"utm_source": "newsletter"})  # cached as /tags/belarus/
    assert head_links(client, "/tags/belarus/")[1]
    assert head_links(
        client,
        "/ru/tags/belarus/",
    )[1]
    assert head_links(client, "/ru/tags/belarus/?page=1")[1]


def test_hreflang_names_only_the_languages_with_explainers_on_the_page(client, story, on_commit):
    with on_commit():
        make_article(
            slug="september",
            published_at=timezone.make_aware(datetime.datetime(2022, 9, 5, 12, 0)),
        ).tags.add("Minsk")
    assert head_links(client, "/archive/2022/9/")[1] == {}
    assert client.get("/ru/archive/2022/9/").status_code == 404
    assert head_links(client, "/tags/minsk/")[1] == {}
    # A Russian page with nothing on it still points at the English one, where there is.
    assert set(head_links(client, "/ru/tags/minsk/")[1]) == {"en", "ru", "x-default"}


def test_a_language_given_twice_for_one_record_is_a_form_error(editor_client, story):
    speaker = Speaker.objects.get()
    url = reverse("admin:explainers_speaker_change", args=[speaker.pk])
    prefix = "explainers-localname-content_type-object_id"
    response = editor_client.post(
        url,
        {
            "name": speaker.name,
            "slug": speaker.slug,
            f"{prefix}-TOTAL_FORMS": "2",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-language": "ru",
            f"{prefix}-0-name": "Виктор Хренин",
            f"{prefix}-1-language": "ru",
            f"{prefix}-1-name": "В. Хренин",
        },
    )
    assert response.status_code == 200
    assert "Give the name in Russian once" in response.content.decode()
    assert not LocalName.objects.exists()


def test_a_russian_text_never_turns_an_english_article_russian(on_commit):
    with on_commit():
        english = make_article(original_url="https://example.com/ru/union-state")
    with pytest.raises(CommandError, match="an article in another language \\(en\\)"):
        call_command("import_explainer", str(RUSSIAN / "union-state.txt"), verbosity=0)
    english.refresh_from_db()
    assert english.language == "en" and english.headline == "What is the Union State?"


def test_the_import_preview_keeps_the_language_asked_for_its_confirmation(editor_client):
    url = reverse("admin:explainers_article_import")
    text = (RUSSIAN / "grain-deal.txt").read_text(encoding="utf-8")
    preview = editor_client.post(url, {"step": "preview", "text": text, "language": "en"})
    form = (
        BeautifulSoup(preview.content, "html.parser")
        .select_one('input[name="step"][value="confirm"]')
        .find_parent("form")
    )
    assert form.select_one('input[name="language"]')["value"] == "en"


def test_the_apis_list_rows_name_tags_in_their_articles_language(client, story, on_commit):
    with on_commit():
        name_in_russian(Tag.objects.get(), "Беларусь")
    rows = client.get("/api/v1/articles/").json()["results"]
    names = {row["language"]: [tag["name"] for tag in row["tags"]] for row in rows}
    assert names == {"en": ["Belarus"], "ru": ["Беларусь"]}
