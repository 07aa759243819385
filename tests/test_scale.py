"""
Flat cost as the archive grows (issue 18): every page that lists the archive costs a fixed
number of queries, the same for a handful of explainers as for many, and none counts the whole
archive. bench/scale.py measures the time at 1,000 and 100,000 articles; these tests hold the
query counts and the page rules the figures rest on.
"""

import datetime
import math

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from explainers.models import Article, Author, Byline, QuestionSection

PER_PAGE = 12


def seed(count):
    """`count` published explainers in the way bench/scale.py seeds them: bulk inserts, three
    questions each, an author of five and two tags of five — spread over the last 120 days,
    whatever their number, so the middle month has a month before and after it."""
    authors = Author.objects.bulk_create(
        [Author(name=f"Reporter {n}", slug=f"reporter-{n}") for n in range(5)]
    )
    tags = [Tag.objects.create(name=f"Topic {n}", slug=f"topic-{n}") for n in range(5)]
    now = timezone.now()
    articles = Article.objects.bulk_create(
        [
            Article(
                headline=f"Explainer {n}",
                slug=f"explainer-{n}",
                lead=f"<p>The lead of explainer {n}, about the region.</p>",
                status=Article.Status.PUBLISHED,
                published_at=now - datetime.timedelta(hours=1 + n * 120 * 24 / count),
            )
            for n in range(count)
        ]
    )
    QuestionSection.objects.bulk_create(
        QuestionSection(
            article=a, position=p, question=f"Question {p}?", anchor=f"q-{p}", answer="<p>A.</p>"
        )
        for a in articles
        for p in range(1, 4)
    )
    Byline.objects.bulk_create(Byline(article=a, author=authors[a.pk % 5]) for a in articles)
    article_type = ContentType.objects.get_for_model(Article)
    TaggedItem.objects.bulk_create(
        TaggedItem(content_type=article_type, object_id=a.pk, tag=tags[(a.pk + k) % 5])
        for a in articles
        for k in (0, 1)
    )
    return articles


def pages(articles):
    month = timezone.localtime(articles[len(articles) // 2].published_at)
    deep = min(3, math.ceil(len(articles) / PER_PAGE))
    return {
        "home": "/",
        "home, a later page": f"/?page={deep}",
        "tag archive": "/tags/topic-1/",
        "author archive": "/authors/reporter-1/",
        "archive index": "/archive/",
        "month archive": f"/archive/{month.year}/{month.month}/",
        "sitemap index": "/sitemap.xml",
        "sitemap page": "/sitemap-articles.xml",
        "tag sitemap": "/sitemap-tags.xml",
        "search": "/search/?q=region",
        "content API list": "/api/v1/articles/",
        "admin change list": "/admin/explainers/article/",
        "admin desk": "/admin/",
    }


# The queries of each page; the admin's include the session, the user and her role's permissions.
QUERIES = {
    "home": 3,
    "home, a later page": 3,
    "tag archive": 5,
    "author archive": 5,
    "archive index": 1,
    "month archive": 10,
    "sitemap index": 10,
    "sitemap page": 3,
    "tag sitemap": 2,
    "search": 5,
    "content API list": 3,
    "admin change list": 10,
    "admin desk": 10,
}


def queries_of(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), [q["sql"] for q in captured.captured_queries]


@pytest.fixture
def uncached(db, settings):
    settings.NEWSROOM_PAGE_CACHE = False


@pytest.mark.parametrize("page", QUERIES)
def test_each_page_costs_the_same_queries_for_a_small_archive_and_a_larger_one(
    page, uncached, client, admin_user
):
    client.force_login(admin_user)
    counts = {}
    for size in (40, 400):
        Article.objects.all().delete()
        Author.objects.all().delete()
        Tag.objects.all().delete()
        articles = seed(size)
        counts[size] = queries_of(client, pages(articles)[page])
    assert counts[40][0] == counts[400][0], counts[400][1]
    assert counts[400][0] == QUERIES[page], counts[400][1]


def test_no_reader_page_counts_the_archive(uncached, client):
    articles = seed(60)
    for url in pages(articles).values():
        if url.startswith("/admin/"):
            continue
        _, sql = queries_of(client, url)
        counting = [q for q in sql if "COUNT(" in q.upper()]
        assert counting == [], url


def test_pages_are_numbered_without_a_count_and_a_page_past_the_last_is_a_404(uncached, client):
    seed(30)  # three pages of twelve
    assert client.get("/?page=3").status_code == 200
    assert client.get("/?page=4").status_code == 404
    assert client.get("/?page=0").status_code == 404
    assert client.get("/?page=x").status_code == 404
    last = client.get("/?page=3").content.decode()
    assert "Page 3" in last and 'rel="next"' not in last and 'rel="prev"' in last
    first = client.get("/").content.decode()
    assert 'href="?page=2" rel="next"' in first
    assert client.get("/?page=100000").status_code == 404  # past MAX_PAGE: no query at all


def test_sitemap_pages_are_ranges_of_ids(uncached, client, monkeypatch):
    from explainers.sitemaps import ArticleSitemap

    monkeypatch.setattr(ArticleSitemap, "limit", 10)
    articles = seed(25)
    index = client.get("/sitemap.xml").content.decode()
    assert index.count("sitemap-articles.xml") == 3
    locs = [
        client.get(f"/sitemap-articles.xml?p={p}").content.decode().count("<loc>")
        for p in (1, 2, 3)
    ]
    assert locs == [10, 10, 5]
    assert client.get("/sitemap-articles.xml?p=4").status_code == 404
    # A draft leaves a gap on its page; no other page moves.
    Article.objects.filter(pk=articles[3].pk).update(status=Article.Status.DRAFT)
    page = client.get("/sitemap-articles.xml?p=1").content.decode()
    assert page.count("<loc>") == 9 and articles[3].slug not in page


def test_the_admin_list_counts_no_further_than_its_limit(uncached, client, admin_user, monkeypatch):
    from explainers import changelist

    monkeypatch.setattr(changelist, "COUNT_LIMIT", 30)
    monkeypatch.setattr(changelist.BoundedCountPaginator, "limit", "30")
    seed(40)
    client.force_login(admin_user)
    page = client.get("/admin/explainers/article/").content.decode()
    assert "More than 30 articles" in page
    assert " results (" not in page  # unfiltered: no search count beside the box
    searched = client.get("/admin/explainers/article/?q=Explainer").content.decode()
    assert "More than 30 results" in searched
    assert "1 result (" in client.get("/admin/explainers/article/?q=Explainer+39").content.decode()
    # The dates go from the first article's year to the last's, as links.
    assert f"published_at__year={timezone.now().year}" in page


def test_a_storys_versions_on_other_sitemap_pages_are_its_alternates(uncached, client, monkeypatch):
    """Pages of ids: an original and its translation may sit on different pages; each entry
    still names the other, both ways."""
    from explainers.sitemaps import ArticleSitemap
    from explainers.workflow import version_of

    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    original, *_ = seed(3)
    version = version_of(original, "ru")
    version.status, version.published_at = Article.Status.PUBLISHED, original.published_at
    version.save()
    pages = [client.get(f"/sitemap-articles.xml?p={p}").content.decode() for p in (1, 2)]
    assert version.pk - original.pk >= 2  # on another page
    english, russian = original.get_absolute_url(), version.get_absolute_url()
    first = pages[0].split("</url>")[0]
    assert f"http://testserver{english}</loc>" in first
    assert f'hreflang="ru" href="http://testserver{russian}"' in first
    page_of_version = next(p for p in pages if f"{russian}</loc>" in p)
    entry = next(e for e in page_of_version.split("</url>") if f"{russian}</loc>" in e)
    assert f'hreflang="en" href="http://testserver{english}"' in entry


# The admin's rows, rendered column by column, are Django's own, cell for cell.


def django_and_newsroom_rows(request, model_admin):
    from django.contrib.admin.templatetags.admin_list import items_for_result

    from explainers.changelist import rows

    cl = model_admin.get_changelist_instance(request)
    cl.formset = None  # as changelist_view sets it, with no list_editable
    theirs = ["".join(items_for_result(cl, result, None)) for result in cl.result_list]
    ours = ["".join(row) for row in rows(cl)]
    return theirs, ours


@pytest.mark.parametrize(
    "query",
    ["", "?q=Explainer&status=published", "?_popup=1&_to_field=id", "?o=-3.2"],
    ids=["plain", "filtered", "popup", "sorted"],
)
@pytest.mark.parametrize("role", ["admin_user", "editor", "reporter"])
def test_the_article_lists_rows_are_djangos_cell_for_cell(
    uncached, rf, request, role, query, reporter
):
    from django.contrib import admin

    articles = seed(6)
    # A draft with no date, one scheduled, one taken down, one with two authors and one by the
    # reporter, so every state, an empty cell and a list of names are among the rows.
    Article.objects.filter(pk=articles[0].pk).update(status=Article.Status.DRAFT, published_at=None)
    Article.objects.filter(pk=articles[1].pk).update(
        published_at=timezone.now() + datetime.timedelta(days=1)
    )
    Article.objects.filter(pk=articles[2].pk).update(
        expires_at=timezone.now() - datetime.timedelta(hours=1)
    )
    second = Author.objects.exclude(bylines__article=articles[3]).first()
    Byline.objects.create(article=articles[3], author=second, position=2)
    Article.objects.filter(pk=articles[4].pk).update(created_by=reporter)
    user = request.getfixturevalue(role)
    get = rf.get("/admin/explainers/article/" + query)
    get.user = user
    theirs, ours = django_and_newsroom_rows(get, admin.site.get_model_admin(Article))
    assert theirs and ours == theirs


def test_every_list_in_the_admin_has_djangos_rows(uncached, rf, admin_user):
    """Every admin's list, the article list's rows being the fast path's: the same HTML, or
    Django's own where a column is read through a relation or a property."""
    from django.contrib import admin

    from tests.conftest import make_article, make_photo

    seed(3)
    make_article(slug="quoted")  # speakers and sources
    make_photo(renditions=False)
    for model, model_admin in admin.site._registry.items():
        get = rf.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
        get.user = admin_user
        theirs, ours = django_and_newsroom_rows(get, model_admin)
        assert ours == theirs, model


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the loose index scan is PostgreSQL's"
)
@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_the_archives_months_are_djangos_dates_in_the_sites_time_zone(db, zone):
    """months() finds each month with one probe of the date index; it must name the months
    Django's DISTINCT over every date does, in the site's time zone, across a year's end."""
    import zoneinfo

    seed(30)
    utc = datetime.UTC
    # Either side of a month's start in New York, in India and in UTC; a gap of empty months;
    # and a draft and a story taken down, which are not listed.
    for n, moment in enumerate(
        [
            datetime.datetime(2024, 12, 31, 23, 30, tzinfo=utc),
            datetime.datetime(2025, 1, 1, 3, 30, tzinfo=utc),
            datetime.datetime(2025, 1, 31, 19, 0, tzinfo=utc),
            datetime.datetime(2025, 3, 1, 2, 0, tzinfo=utc),  # still February in New York
            datetime.datetime(2025, 6, 30, 22, 0, tzinfo=utc),
        ]
    ):
        Article.objects.create(
            headline=f"Boundary {n}", slug=f"boundary-{n}", status=Article.Status.PUBLISHED,
            published_at=moment,
        )  # fmt: skip
    Article.objects.create(
        headline="Draft", slug="draft", status=Article.Status.DRAFT,
        published_at=datetime.datetime(2023, 3, 1, tzinfo=utc),
    )  # fmt: skip
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        listed = Article.objects.listed()
        months = listed.months()
        assert months == list(listed.dates("published_at", "month", order="DESC"))
        assert datetime.date(2023, 3, 1) not in months
    assert Article.objects.none().months() == []


def test_a_list_with_editable_columns_is_djangos_own_with_its_forms(uncached, rf, admin_user):
    from django.contrib import admin
    from django.contrib.admin.templatetags.admin_list import results

    from explainers.admin import SpeakerAdmin
    from explainers.changelist import rows
    from explainers.models import Speaker
    from tests.conftest import make_article

    make_article(slug="quoted")

    class EditableSpeakers(SpeakerAdmin):
        list_display_links = ("name",)
        list_editable = ("usual_role",)

    model_admin = EditableSpeakers(Speaker, admin.site)
    get = rf.get("/admin/explainers/speaker/")
    get.user = admin_user
    cl = model_admin.get_changelist_instance(get)
    cl.formset = model_admin.get_changelist_formset(get)(queryset=cl.result_list)
    ours = ["".join(row) for row in rows(cl)]
    assert ours == ["".join(row) for row in results(cl)]
    assert 'name="form-0-usual_role"' in ours[0]
