"""Home, archives, search, related, speakers and sources, feeds, sitemaps, metadata."""

import datetime
import json
import xml.etree.ElementTree as ET
from urllib.parse import quote

import extruct
import feedparser
import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from explainers.models import (
    Article,
    Author,
    Byline,
    QuestionSection,
    Quote,
    Source,
    Speaker,
    UpdateNote,
)
from tests.conftest import make_article, make_photo

pytestmark = pytest.mark.django_db

NOW = timezone.now()
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def page(response):
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    return Article.objects.get(language="en")


def article(slug, days_ago=1, tags=(), **overrides):
    overrides.setdefault("published_at", NOW - datetime.timedelta(days=days_ago))
    overrides.setdefault("headline", slug.replace("-", " ").capitalize())
    made = make_article(slug=slug, **overrides)
    made.tags.add(*tags)
    return made


# Pages.


def test_home_leads_with_the_newest_explainer_and_links_its_feeds(client):
    article("older", days_ago=3)
    article("newest", days_ago=1)
    html = page(client.get("/"))
    assert "with-lead" in html.select_one(".card-list")["class"]
    assert html.select(".card-headline a")[0].text == "Newest"
    assert html.select_one('link[type="application/rss+xml"]')["href"] == "/feeds/rss/"
    assert html.select_one(".feed-links a")["href"] == "/feeds/rss/"
    website = json.loads(html.select_one('script[type="application/ld+json"]').string)
    assert website["@type"] == "WebSite" and "search/?q=" in website["potentialAction"]["target"]


def test_month_archive_lists_that_months_explainers_with_a_heading(client):
    article("october", published_at=datetime.datetime(2022, 10, 11, 12, tzinfo=datetime.UTC))
    article("november", published_at=datetime.datetime(2022, 11, 2, 12, tzinfo=datetime.UTC))
    html = page(client.get("/archive/2022/10/"))
    assert html.h1.text == "October 2022"
    assert [a.text for a in html.select(".card-headline a")] == ["October"]
    assert html.select_one('.month-nav a[rel="next"]')["href"] == "/archive/2022/11/"
    index = page(client.get("/archive/"))
    assert [a.text for a in index.select(".month-list a")] == ["November 2022", "October 2022"]
    assert client.get("/archive/2022/12/").status_code == 404
    assert client.get("/archive/2022/13/").status_code == 404


def test_tag_and_author_archives_link_their_own_feeds(client, demo):
    tag_page = page(client.get("/tags/belarus/"))
    assert tag_page.select_one('link[type="application/atom+xml"]')["href"] == "/tags/belarus/atom/"
    author_page = page(client.get("/authors/james-beardsworth/"))
    assert author_page.select_one('link[type="application/rss+xml"]')["href"] == (
        "/authors/james-beardsworth/rss/"
    )


def test_every_question_has_a_visible_link_to_itself(client, demo):
    html = page(client.get(demo.get_absolute_url()))
    for section in html.select("section.question"):
        link = section.select_one(".question-link a")
        assert link["href"] == f"#{section['id']}" and link.text == "Link to this question"


def test_related_explainers_prefer_shared_tags_then_the_newest(client):
    main = article("main", tags=["Belarus", "Russia"])
    article("two-tags", days_ago=9, tags=["Belarus", "Russia"])
    article("one-tag-old", days_ago=5, tags=["Russia"])
    article("one-tag-new", days_ago=2, tags=["Belarus"])
    article("one-more", days_ago=7, tags=["Russia"])
    article("untagged-new", days_ago=1)
    article("draft", days_ago=1, tags=["Belarus", "Russia"], status=Article.Status.DRAFT)
    article("scheduled", days_ago=-1, tags=["Belarus", "Russia"])
    html = page(client.get(main.get_absolute_url()))
    assert [a.text for a in html.select(".related a")] == ["Two tags", "One tag new", "One tag old"]


def test_a_scheduled_explainer_becomes_related_when_its_time_comes(client, monkeypatch):
    main = article("main", tags=["Belarus"])
    article("soon", days_ago=-1, tags=["Belarus"])
    assert [a.headline for a in Article.objects.related_to(main.pk, list_tag_ids(main))] == []
    later = timezone.now() + datetime.timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert [a.headline for a in Article.objects.related_to(main.pk, list_tag_ids(main))] == ["Soon"]


def list_tag_ids(article):
    return list(article.tags.values_list("pk", flat=True))


def test_a_speaker_page_lists_their_quotes_newest_first_linking_to_the_question(client, demo):
    old = article("older-story", days_ago=4000, sections=1)
    speaker = Speaker.objects.get(slug="alexander-lukashenko")
    Quote.objects.create(
        article=old, section=old.sections.get(), text="An old remark", speaker=speaker
    )
    html = page(client.get(speaker.get_absolute_url()))
    assert html.h1.text == "Alexander Lukashenko"
    quotes = html.select(".quote-list li")
    assert len(quotes) == 3
    assert "Ukraine is not just discussing" in quotes[0].text
    assert "An old remark" in quotes[-1].text
    troops = [a["href"] for a in html.select(".quote-list figcaption a") if "#" in a["href"]]
    assert f"{demo.get_absolute_url()}#how-many-troops-will-be-assembled" in troops
    # Speaker names on the article page lead here.
    article_page = page(client.get(demo.get_absolute_url()))
    assert (
        article_page.select_one("figure.quote a.speaker")["href"]
        == "/speakers/alexander-lukashenko/"
    )


def test_a_source_page_lists_the_explainers_and_answers_citing_it(client, demo):
    report = Source.objects.get(name="International Center for Security and Defense")
    html = page(client.get(report.get_absolute_url()))
    assert html.h1.text == report.name
    items = html.select(".citing > li")
    assert len(items) == 1 and demo.headline in items[0].text
    assert "“How many troops will be assembled?”" in items[0].text
    belta = Source.objects.get(name="Belta")
    assert (
        "the introduction" in page(client.get(belta.get_absolute_url())).select_one(".citing").text
    )


def test_unpublished_explainers_are_hidden_from_speaker_and_source_pages(client):
    draft = article("draft", status="draft")
    source = Source.objects.create(name="Hidden", kind="report")
    draft.lead_sources.add(source)
    assert "No published explainer" in client.get(source.get_absolute_url()).content.decode()
    speaker = Speaker.objects.get()
    assert "No published quotes" in client.get(speaker.get_absolute_url()).content.decode()


def test_friendly_error_pages_in_the_sites_design(client, settings):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()
    assert page(response).select_one(".masthead")
    from django.template.loader import render_to_string

    assert "Something went wrong on our side" in render_to_string("500.html")


# Search.


def test_search_finds_a_question_and_links_to_its_anchor(client, demo):
    html = page(client.get("/search/", {"q": "troops assembled"}))
    first = html.select_one(".results li h2 a")
    assert first["href"] == f"{demo.get_absolute_url()}#how-many-troops-will-be-assembled"
    assert first.text == "How many troops will be assembled?"


def test_search_matches_headlines_and_summaries(client, demo):
    article("union-state", headline="The Union State treaty at 25")
    html = page(client.get("/search/", {"q": "treaty"}))
    assert "The Union State treaty at 25" in html.select_one(".results").text


def test_search_never_shows_drafts(client):
    article("secret", status="draft", headline="Secret troop plan")
    assert (
        "0 results" in page(client.get("/search/", {"q": "troop"})).select_one(".result-count").text
    )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 5000,
        "'; DROP TABLE explainers_article; --",
        "<script>alert(1)</script>",
        "a & | ! ( ) : * \\ \x00 \x1b",
        '"unbalanced',
        "-",
        "🙂" * 100,
    ],
    ids=["empty", "blank", "very-long", "sql", "script", "operators", "quote", "dash", "emoji"],
)
def test_hostile_or_odd_queries_get_a_normal_page(client, demo, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_a_very_long_query_is_shortened_and_said_so(client, demo):
    html = page(client.get("/search/", {"q": "troops " * 100}))
    assert "only its first 200 characters were used" in html.select_one(".notice").text


# Feeds.


@pytest.mark.parametrize("url", ["/feeds/rss/", "/feeds/atom/"])
def test_site_feeds_parse_with_full_items(client, demo, url):
    response = client.get(url)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Newsroom"
    (entry,) = feed.entries
    assert entry.title == demo.headline
    assert entry.link.endswith(demo.get_absolute_url())
    assert entry.author == "James Beardsworth"
    assert {t.term for t in entry.tags} == {"Belarus", "Russia", "Ukraine", "War in Ukraine"}
    assert "How many troops will be assembled?" in entry.summary
    assert "Belarusian President Alexander Lukashenko claimed Monday" in entry.summary
    enclosure = entry.enclosures[0]
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == demo.hero_photo.fallback["size"] > 0
    assert enclosure.href.startswith("http://testserver/media/")


@pytest.mark.parametrize(
    "url",
    [
        "/tags/belarus/rss/",
        "/tags/belarus/atom/",
        "/authors/james-beardsworth/rss/",
        "/authors/james-beardsworth/atom/",
    ],
)
def test_tag_and_author_feeds(client, demo, url):
    article("unrelated", tags=["Elsewhere"])
    feed = feedparser.parse(client.get(url).content)
    assert not feed.bozo
    titles = [e.title for e in feed.entries]
    assert demo.headline in titles and ("Unrelated" in titles) is url.startswith("/authors/")


def test_feeds_leave_out_drafts_and_unknown_tags_are_404(client):
    article("draft", status="draft")
    assert feedparser.parse(client.get("/feeds/rss/").content).entries == []
    assert client.get("/tags/nothing/rss/").status_code == 404


# Sitemaps and robots.


def sitemap_locs(content):
    return [loc.text for loc in ET.fromstring(content).iter(f"{SITEMAP}loc")]


def test_sitemap_index_lists_articles_tags_and_authors_with_lastmod(client, demo):
    index = client.get("/sitemap.xml")
    sections = sitemap_locs(index.content)
    # The tag and author pages of each language have their section.
    assert sorted(sections) == [
        "http://testserver/sitemap-articles.xml",
        "http://testserver/sitemap-authors-ru.xml",
        "http://testserver/sitemap-authors.xml",
        "http://testserver/sitemap-tags-ru.xml",
        "http://testserver/sitemap-tags.xml",
    ]
    root = ET.fromstring(client.get("/sitemap-articles.xml").content)
    # Every language's articles: the demo and its Russian version.
    russian = Article.objects.get(language="ru")
    urls = {url.find(f"{SITEMAP}loc").text: url for url in root.findall(f"{SITEMAP}url")}
    assert set(urls) == {
        f"http://testserver{demo.get_absolute_url()}",
        f"http://testserver{russian.get_absolute_url()}",
    }
    for url in urls.values():
        assert url.find(f"{SITEMAP}lastmod").text.startswith("2022-10-11")
    assert "http://testserver/tags/belarus/" in sitemap_locs(
        client.get("/sitemap-tags.xml").content
    )
    assert sitemap_locs(client.get("/sitemap-authors.xml").content) == [
        "http://testserver/authors/james-beardsworth/"
    ]


def test_sitemaps_split_into_pages_at_the_limit(client, monkeypatch):
    from explainers.sitemaps import ArticleSitemap

    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    for n in range(5):
        article(f"a{n}", days_ago=n + 1)
    sections = sitemap_locs(client.get("/sitemap.xml").content)
    pages = [s for s in sections if "articles" in s]
    assert pages == [
        "http://testserver/sitemap-articles.xml",
        "http://testserver/sitemap-articles.xml?p=2",
        "http://testserver/sitemap-articles.xml?p=3",
    ]
    assert len(sitemap_locs(client.get("/sitemap-articles.xml?p=3").content)) == 1


def test_news_sitemap_has_only_the_last_two_days(client):
    article("fresh", days_ago=1)
    article("stale", days_ago=3)
    article("draft", days_ago=1, status="draft")
    root = ET.fromstring(client.get("/news-sitemap.xml").content)
    news = "{http://www.google.com/schemas/sitemap-news/0.9}"
    urls = root.findall(f"{SITEMAP}url")
    assert [u.find(f"{SITEMAP}loc").text.split("/")[-2] for u in urls] == ["fresh"]
    assert urls[0].find(f"{news}news/{news}title").text == "Fresh"
    assert urls[0].find(f"{news}news/{news}publication/{news}name").text == "Newsroom"


def test_robots_txt_points_at_the_sitemaps(client):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Sitemap: http://testserver/news-sitemap.xml" in body
    assert "Disallow: /admin/" in body


# Addresses in any script: readable, and percent-encoded UTF-8 on the wire.


@pytest.mark.parametrize(
    "name, slug", [("Беларусь", "беларусь"), ("Ελλάδα", "ελλάδα"), ("東京 2020", "東京-2020")]
)
def test_a_tag_in_any_script_has_its_page_feeds_and_sitemap_entry(client, name, slug):
    made = article("tagged", tags=[name])
    tag_url = f"/tags/{quote(slug)}/"
    html = page(client.get(made.get_absolute_url()))
    assert html.select_one(".tags a")["href"] == tag_url
    tag_page = client.get(tag_url)
    assert tag_page.status_code == 200 and page(tag_page).h1.text == name
    assert [a.text for a in page(tag_page).select(".card-headline a")] == ["Tagged"]
    for feed in ("rss/", "atom/"):
        parsed = feedparser.parse(client.get(tag_url + feed).content)
        assert not parsed.bozo and parsed.feed.link == f"http://testserver{tag_url}"
        assert [entry.title for entry in parsed.entries] == ["Tagged"]
    sitemap = client.get("/sitemap-tags.xml").content
    assert f"http://testserver{tag_url}" in sitemap_locs(sitemap)


def test_an_article_author_and_speaker_in_cyrillic_get_readable_addresses(client):
    headline = "Что такое Союзное государство?"
    slug = slugify(headline, allow_unicode=True)
    author = Author(name="Алесь Бяляцкі", slug=slugify("Алесь Бяляцкі", allow_unicode=True))
    speaker = Speaker(name="Віктар Хрэнін", slug=slugify("Віктар Хрэнін", allow_unicode=True))
    # What the admin's forms accept (its slug fields are made from the name as it is typed).
    for model, value in ((Article, slug), (Author, author.slug), (Speaker, speaker.slug)):
        model._meta.get_field("slug").formfield().clean(value)
    author.save()
    speaker.save()
    made = article(slug, headline=headline)
    Byline.objects.create(article=made, author=author, position=1)
    made.quotes.update(speaker=speaker)

    day = timezone.localtime(made.published_at)
    url = f"/{day.year}/{day.month}/{day.day}/{quote(slug)}/"
    assert made.get_absolute_url() == url
    html = page(client.get(url))
    assert html.h1.text == headline
    assert html.select_one(f'a[href="/authors/{quote(author.slug)}/"]').text == author.name
    assert html.select_one("figure.quote a.speaker")["href"] == f"/speakers/{quote(speaker.slug)}/"
    assert page(client.get(author.get_absolute_url())).h1.text == author.name
    assert page(client.get(speaker.get_absolute_url())).h1.text == speaker.name

    item = structured_data(client, url)
    assert item["url"] == f"http://testserver{url}"
    assert f"http://testserver/authors/{quote(author.slug)}/" in [a["url"] for a in item["author"]]
    question = next(part for part in item["hasPart"] if part["@type"] == "Question")
    assert question["url"].startswith(f"http://testserver{url}#")
    (entry,) = feedparser.parse(client.get("/feeds/atom/").content).entries
    assert entry.link == f"http://testserver{url}"
    assert sitemap_locs(client.get("/sitemap-articles.xml").content) == [f"http://testserver{url}"]
    assert f"http://testserver/authors/{quote(author.slug)}/" in sitemap_locs(
        client.get("/sitemap-authors.xml").content
    )
    news = client.get("/news-sitemap.xml").content
    assert sitemap_locs(news) == [f"http://testserver{url}"]


@pytest.mark.parametrize("model", ["article", "author", "speaker"])
def test_the_admin_makes_a_readable_slug_from_a_name_in_any_script(client, admin_user, model):
    client.force_login(admin_user)
    html = page(client.get(reverse(f"admin:explainers_{model}_add")))
    script = html.select_one("#django-admin-prepopulated-fields-constants")
    fields = json.loads(script["data-prepopulated-fields"])
    # The admin's script keeps Cyrillic, Greek or CJK letters rather than dropping them all.
    assert [field["allowUnicode"] for field in fields if field["name"] == "slug"] == [True]


# Metadata.


def test_article_metadata_for_sharing(client, demo):
    html = page(client.get(demo.get_absolute_url()))
    assert html.title.text == f"{demo.headline} — Newsroom"
    assert html.select_one('meta[name="description"]')["content"] == demo.dek
    assert html.select_one('link[rel="canonical"]')["href"] == demo.original_url
    og = {m["property"]: m["content"] for m in html.select("meta[property]")}
    assert og["og:title"] == demo.headline and og["og:type"] == "article"
    card = demo.hero_photo.rendition("social-1200.jpeg")
    assert og["og:image"] == f"http://testserver{card['url']}"
    assert (og["og:image:width"], og["og:image:height"]) == ("1200", "630")
    assert og["og:url"] == demo.original_url
    assert html.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image"


def test_an_article_without_an_original_url_is_its_own_canonical(client):
    made = article("home-grown")
    html = page(client.get(made.get_absolute_url()))
    assert (
        html.select_one('link[rel="canonical"]')["href"]
        == f"http://testserver{made.get_absolute_url()}"
    )


def structured_data(client, url):
    response = client.get(url)
    data = extruct.extract(
        response.content.decode(), base_url="http://testserver/", syntaxes=["json-ld"]
    )
    (item,) = data["json-ld"]
    return item


def test_json_ld_describes_the_news_article_with_questions_quotes_and_citations(client, demo):
    UpdateNote.objects.create(article=demo, kind="correction", text="Fixed a date.")
    item = structured_data(client, demo.get_absolute_url())
    assert item["@type"] == "NewsArticle"
    assert item["headline"] == demo.headline and item["description"] == demo.dek
    assert item["datePublished"].startswith("2022-10-11")
    assert item["author"] == [
        {
            "@type": "Person",
            "name": "James Beardsworth",
            "url": "http://testserver/authors/james-beardsworth/",
        }
    ]
    assert item["publisher"]["@type"] == "NewsMediaOrganization"
    assert item["publisher"]["logo"]["url"].endswith("/static/logo.png")
    assert item["mainEntityOfPage"]["@id"].endswith(demo.get_absolute_url())
    assert item["isAccessibleForFree"] is True
    assert set(item["keywords"]) == {"Belarus", "Russia", "Ukraine", "War in Ukraine"}
    assert [(i["width"], i["height"]) for i in item["image"]] == [(1200, 630), (1600, 900)]
    questions = [p for p in item["hasPart"] if p["@type"] == "Question"]
    assert len(questions) == 5
    assert questions[1]["name"] == "How many troops will be assembled?"
    assert questions[1]["url"].endswith("#how-many-troops-will-be-assembled")
    answer = questions[1]["acceptedAnswer"]
    assert answer["@type"] == "Answer" and "<" not in answer["text"]
    assert answer["hasPart"][0]["@type"] == "Quotation"
    assert answer["hasPart"][0]["creator"]["name"] == "Alexander Lukashenko"
    lead_quote = item["hasPart"][0]
    assert lead_quote["@type"] == "Quotation" and lead_quote["isBasedOn"]["name"] == "Belta"
    assert [c["name"] for c in item["citation"]] == [
        "Belta",
        "International Center for Security and Defense",
    ]
    assert item["correction"][0]["text"] == "Fixed a date."
    assert "FAQPage" not in json.dumps(item)


def test_json_ld_cannot_be_broken_out_of(client):
    made = article("hostile", headline="</script><script>alert(1)</script>")
    section = made.sections.first()
    section.question = "What about </SCRIPT> and <!-- comments?"
    section.save()
    content = client.get(made.get_absolute_url()).content.decode()
    script = content.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "<" not in script
    data = json.loads(script)
    assert data["headline"] == "</script><script>alert(1)</script>"
    assert data["hasPart"][0]["name"] == "What about </SCRIPT> and <!-- comments?"


def test_the_hero_is_a_responsive_picture_sized_for_layout_stability(client):
    photo = make_photo(size=(2000, 1125))
    made = article("with-photo", hero_photo=photo)
    picture = page(client.get(made.get_absolute_url())).select_one("figure.hero picture")
    source = picture.select_one('source[type="image/webp"]')
    assert [c.split()[1] for c in source["srcset"].split(", ")] == [
        "480w",
        "800w",
        "1200w",
        "1600w",
    ]
    img = picture.img
    assert (img["width"], img["height"], img["fetchpriority"]) == ("800", "450", "high")
    assert "loading" not in img.attrs and img["srcset"].count("w,") == 3
    assert img["alt"] == "Soldiers in a field"


def test_listing_images_below_the_fold_load_lazily(client):
    for n in range(3):
        article(f"a{n}", days_ago=n + 1, hero_photo=make_photo())
    images = page(client.get("/")).select(".card img")
    assert "loading" not in images[0].attrs
    assert [img.get("loading") for img in images[1:]] == ["lazy", "lazy"]
    assert all(img["alt"] == "" for img in images)  # the headline beside it says it all


def test_search_on_postgres_ranks_question_hits_first(client, demo):
    # On every database a hit on the question text outranks one on a body only.
    article("body-only", lead="<p>We mention troops and assembled words here.</p>")
    html = page(client.get("/search/", {"q": "troops assembled"}))
    assert html.select_one(".results li h2 a").text == "How many troops will be assembled?"
    assert QuestionSection.objects.exists()


def test_the_atom_feed_gives_each_author_a_full_address(client, db):
    article("bridge-story")
    entry = feedparser.parse(client.get("/feeds/atom/").content).entries[0]
    assert entry.author_detail.href == "http://testserver/authors/james-beardsworth/"
