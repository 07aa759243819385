import datetime

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from explainers.models import Article, Quote, Source, UpdateNote
from tests.conftest import make_article

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def page(response):
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    return Article.objects.get(language="en")


# Visibility: draft/published × past/future × anonymous/staff.


@pytest.mark.parametrize(
    "status, when, as_staff, expected",
    [
        ("published", "past", False, 200),
        ("published", "past", True, 200),
        ("published", "future", False, 404),
        ("published", "future", True, 200),
        ("draft", "past", False, 404),
        ("draft", "past", True, 200),
        ("draft", "future", False, 404),
        ("draft", "future", True, 200),
    ],
)
def test_who_sees_an_article(client, editor, status, when, as_staff, expected):
    offset = datetime.timedelta(days=-1 if when == "past" else 1)
    article = make_article(status=status, published_at=NOW + offset)
    if as_staff:
        client.force_login(editor)
    response = client.get(article.get_absolute_url())
    assert response.status_code == expected
    if expected == 200:
        banner = page(response).select_one(".preview-banner")
        assert (banner is not None) is (not article.is_published())


def test_staff_see_a_draft_with_a_clear_banner_and_it_is_not_cached(editor_client):
    article = make_article(status="draft")
    response = editor_client.get(article.get_absolute_url())
    assert "Draft — not public" in page(response).select_one(".preview-banner").text
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert page(response).select_one('meta[name="robots"]')["content"] == "noindex"


def test_a_scheduled_article_says_when_it_goes_public(editor_client):
    article = make_article(published_at=NOW + datetime.timedelta(days=2))
    response = editor_client.get(article.get_absolute_url())
    assert "Scheduled for" in page(response).select_one(".preview-banner").text


def test_a_dateless_draft_is_previewed_by_staff_only(client, editor):
    article = make_article(status="draft", published_at=None)
    url = reverse("explainers:preview", kwargs={"pk": article.pk})
    assert client.get(url).status_code == 404
    client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 200
    assert "Draft — not public" in response.content.decode()


def test_the_preview_address_of_a_published_article_redirects_to_it(client):
    article = make_article()
    response = client.get(reverse("explainers:preview", kwargs={"pk": article.pk}))
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()


def test_a_wrong_date_in_the_address_redirects_permanently_to_the_right_one(client):
    article = make_article(published_at=datetime.datetime(2022, 10, 11, 12, tzinfo=datetime.UTC))
    for wrong in ("/2022/10/12/", "/2021/1/1/", "/2022/99/99/"):
        response = client.get(f"{wrong}{article.slug}/")
        assert response.status_code == 301
        assert response["Location"] == "/2022/10/11/what-is-the-union-state/"


def test_an_unknown_slug_is_not_found(client):
    assert client.get("/2022/10/11/no-such-explainer/").status_code == 404


# The article page.


def test_the_demo_explainer_page_has_the_explainer_layout(client, demo):
    response = client.get(demo.get_absolute_url())
    assert response.status_code == 200
    html = page(response)
    assert html.select_one("p.kicker").text == "Explainer"
    assert html.h1.text == "Is the Belarus-Russia ‘Joint Military Group’ a Threat to Ukraine?"
    assert html.select_one(".byline").text.strip() == "By James Beardsworth"
    assert html.select_one(".dateline time")["datetime"].startswith("2022-10-11")
    assert html.select_one(".dateline").text.strip() == "October 11, 2022"
    figure = html.select_one("figure.hero")
    assert figure.img["alt"] and (figure.img["width"], figure.img["height"]) == ("800", "450")
    assert figure.figcaption.select_one(".credit").text == "Sergei Grits / AP / TASS"
    questions = [h.text for h in html.select("section.question > h2")]
    assert questions == [
        "What is Russia and Belarus' Union State alliance?",
        "How many troops will be assembled?",
        "Where will they go and what will they do?",
        "What has been Ukraine's response?",
        "Could this be the start of a wider Belarusian war with Ukraine?",
    ]
    # Every entry of "In this explainer" jumps to its question.
    toc = html.select("nav.toc a")
    assert [a.text for a in toc] == questions
    for link in toc:
        target = html.find(id=link["href"][1:])
        assert target.name == "section" and target.h2.text == link.text
    quotes = html.select("figure.quote")
    assert [q.select_one(".speaker").text for q in quotes] == [
        "Alexander Lukashenko",
        "Alexander Lukashenko",
        "Victor Khrenin",
        "Volodymyr Zelensky",
    ]
    assert quotes[2].select_one(".role").text == "Belarusian Defense Minister"
    assert all(q.blockquote.text.strip() for q in quotes)
    assert quotes[0].cite.text == "Belta"
    assert html.select_one(".contributed").text == "AFP contributed reporting."
    assert [li.a.text for li in html.select(".sources li")] == [
        "Belta",
        "International Center for Security and Defense",
    ]
    assert html.select_one('link[rel="canonical"]')["href"].startswith(
        "https://www.themoscowtimes.com/2022/10/11/"
    )
    assert {a.text for a in html.select(".tags a")} >= {"Belarus", "Ukraine"}


def test_a_quietly_fixed_article_shows_no_update_time(client):
    article = make_article(published_at=NOW - datetime.timedelta(days=3))
    article.save()  # a typo fixed: updated_at moves on, readers are told nothing
    html = page(client.get(article.get_absolute_url()))
    assert len(html.select(".dateline time")) == 1


def test_notes_show_under_their_question_and_in_the_log_with_the_update_time(client):
    article = make_article(sections=2, published_at=NOW - datetime.timedelta(days=3))
    first, second = article.sections.all()
    noted = NOW - datetime.timedelta(days=1)
    UpdateNote.objects.create(
        article=article,
        section=second,
        kind="correction",
        text="Fixed the troop count.",
        noted_at=noted,
    )
    UpdateNote.objects.create(article=article, kind="update", text="Added Ukraine's response.")
    second.revised_at = noted
    second.save()
    html = page(client.get(article.get_absolute_url()))
    section = html.find(id=second.anchor)
    note = section.select_one(".note")
    assert note.text.startswith("Correction ") and "Fixed the troop count." in note.text
    assert section.select_one(".revised .flag").text == "Updated"
    assert html.find(id=first.anchor).select_one(".note") is None
    assert [li.text for li in html.select("nav.toc .flag")] == ["Updated"]
    log = [li.get_text(" ", strip=True) for li in html.select(".notes li")]
    assert len(log) == 2
    assert "Correction ( Question number 2? ): Fixed the troop count." in log[0]
    assert log[1].endswith("Update: Added Ukraine's response.")
    updated = html.select(".dateline time")[1]
    assert (
        updated["datetime"][:16]
        == timezone.localtime(UpdateNote.objects.latest("noted_at").noted_at).isoformat()[:16]
    )


def test_a_script_in_a_body_never_reaches_the_page(client):
    article = make_article(lead='<p>Lead</p><script>alert("lead")</script>')
    section = article.sections.first()
    section.answer = (
        '<p><img src=x onerror="alert(1)">Answer<a href="javascript:alert(2)">x</a></p>'
    )
    section.save()
    Quote.objects.filter(section=section).update(text='<script>alert("quote")</script>')
    content = client.get(article.get_absolute_url()).content.decode()
    # The only script element is the structured data, and the quote inside it is escaped.
    assert content.count("<script") == 1
    assert content.count('<script type="application/ld+json">') == 1
    assert "\\u003Cscript\\u003Ealert" in content
    assert "onerror" not in content
    assert "javascript:" not in content
    assert "&lt;script&gt;alert(&quot;quote&quot;)&lt;/script&gt;" in content


def test_quotes_sit_after_the_paragraph_they_name(client):
    article = make_article(sections=1, quotes_per_section=0)
    section = article.sections.get()
    section.answer = "<p>First.</p><p>Second.</p>"
    section.save()
    Quote.objects.create(article=article, section=section, text="Between", after_paragraph=1)
    Quote.objects.create(article=article, section=section, text="At the end")
    html = page(client.get(article.get_absolute_url()))
    blocks = [
        child.get_text(" ", strip=True)[:10]
        for child in html.select_one("section.question").children
        if getattr(child, "name", None) in ("p", "figure")
        and "question-link" not in child.get("class", [])
    ]
    assert blocks == ["First.", "Between", "Second.", "At the end"]


def queries_for(client, article):
    with CaptureQueriesContext(connection) as context:
        assert client.get(article.get_absolute_url()).status_code == 200
    return len(context.captured_queries)


def test_the_article_page_costs_the_same_queries_whatever_its_size(client, settings):
    settings.NEWSROOM_PAGE_CACHE = False  # the cost of rendering it
    small = make_article(sections=5, quotes_per_section=1)
    large = make_article(slug="large", sections=40, quotes_per_section=2)
    source = Source.objects.create(name="Belta", kind="agency")
    for article in (small, large):
        article.tags.add("Belarus", "Russia")
        article.lead_sources.add(source)
        for section in article.sections.all():
            section.sources.add(source)
        article.quotes.update(source=source)
    assert large.quotes.count() == 80
    # The writes above discarded the stored page documents: the first visit rebuilds each, in
    # a fixed number of queries too.
    # (The story's language versions, for its hreflang links, are one of them.)
    assert queries_for(client, small) == queries_for(client, large) <= 16
    # From then on: the article with its document, and the related explainers.
    assert queries_for(client, small) == queries_for(client, large) == 2


# Listings.


def test_home_lists_only_published_explainers_newest_first(client):
    make_article(slug="older", headline="Older", published_at=NOW - datetime.timedelta(days=5))
    make_article(slug="newer", headline="Newer", published_at=NOW - datetime.timedelta(days=1))
    make_article(slug="draft", headline="Draft", status="draft")
    make_article(slug="future", headline="Future", published_at=NOW + datetime.timedelta(days=1))
    html = page(client.get("/"))
    assert [a.text for a in html.select(".card-headline a")] == ["Newer", "Older"]


def test_home_paginates_and_its_first_page_has_one_address(client, settings):
    settings.NEWSROOM_ARTICLES_PER_PAGE = 2
    for n in range(3):
        make_article(
            slug=f"a{n}", headline=f"A{n}", published_at=NOW - datetime.timedelta(days=n + 1)
        )
    second = page(client.get("/?page=2"))
    assert [a.text for a in second.select(".card-headline a")] == ["A2"]
    # Back to the first page is the home page itself, not "?page=1".
    assert second.select_one('.pagination a[rel="prev"]')["href"] == "/"
    assert page(client.get("/")).select_one('.pagination a[rel="next"]')["href"] == "?page=2"
    assert client.get("/?page=1").content == client.get("/").content


def listing_queries(article):
    """Every paginated reader page, as (path, its own query), all listing `article`."""
    source = article.lead_sources.get()
    day = timezone.localtime(article.published_at)
    return {
        "home": (reverse("explainers:home"), {}),
        "tag": (reverse("explainers:tag", kwargs={"slug": "belarus"}), {}),
        "author": (reverse("explainers:author", kwargs={"slug": "james-beardsworth"}), {}),
        "month": (reverse("explainers:month", kwargs={"year": day.year, "month": day.month}), {}),
        "speaker": (reverse("explainers:speaker", kwargs={"slug": "victor-khrenin"}), {}),
        "source": (source.get_absolute_url(), {}),
        "search": (reverse("explainers:search"), {"q": "Union"}),
    }


@pytest.mark.parametrize(
    "listing", ["home", "tag", "author", "month", "speaker", "source", "search"]
)
@pytest.mark.parametrize("number", ["99999", "2", "0", "-1", "abc", "last", "1.5", ""])
def test_a_page_number_that_names_no_page_is_not_found(client, listing, number):
    made = make_article()
    made.tags.add("Belarus")
    made.lead_sources.add(Source.objects.create(name="Belta", kind="agency"))
    path, query = listing_queries(made)[listing]
    first = client.get(path, query)
    assert first.status_code == 200
    assert client.get(path, {**query, "page": "1"}).content == first.content
    assert client.get(path, {**query, "page": number}).status_code == 404


def test_a_source_page_lists_thirty_explainers_a_page_newest_first(client):
    source = Source.objects.create(name="Belta", kind="agency")
    for n in range(31):
        made = make_article(
            slug=f"a{n}", headline=f"A{n}", published_at=NOW - datetime.timedelta(days=n + 1)
        )
        made.lead_sources.add(source)
    first = page(client.get(source.get_absolute_url()))
    citing = first.select(".citing > li > a")
    assert len(citing) == 30 and citing[0].text == "A0"
    second = page(client.get(source.get_absolute_url(), {"page": "2"}))
    assert [a.text for a in second.select(".citing > li > a")] == ["A30"]
    assert "the introduction" in second.select_one(".citing").text


def test_author_and_tag_pages_list_their_published_explainers(client, demo):
    make_article(slug="draft", headline="Secret draft", status="draft").tags.add("Belarus")
    author_page = client.get("/authors/james-beardsworth/")
    tag_page = client.get("/tags/belarus/")
    for response in (author_page, tag_page):
        headlines = [a.text for a in page(response).select(".card-headline a")]
        assert headlines == [demo.headline]
    assert page(author_page).h1.text == "James Beardsworth"
    assert page(tag_page).h1.text == "Belarus"
    assert client.get("/tags/no-such-tag/").status_code == 404
    assert client.get("/authors/nobody/").status_code == 404
