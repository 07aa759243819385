"""
The content API (explainers.api): who sees what, the shape against its own schema, pagination,
rate limits, CORS, conditional requests, invalidation through the change pipeline, the query
count, and bad input answered 400 naming the parameter.
"""

import base64
import datetime
import json
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema
import pytest
import yaml
from bs4 import BeautifulSoup
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from explainers.models import ApiKey, Article, Quote, Source, Speaker, UpdateNote
from explainers.pagecache import edge_key
from tests.conftest import make_article, make_photo

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"
NOW = timezone.now()


def detail(article):
    return f"{ARTICLES}{article.pk}/"


def key_for(user=None, **fields):
    key = ApiKey(name="Partner", user=user, **fields)
    secret = key.generate()
    key.save()
    return secret


def caller(secret=None, **headers):
    client = Client()
    if secret:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    client.defaults.update(headers)
    return client


# Visibility: each caller against each state of an article, as the site's rule has it.

STATES = {
    "published": {"status": "published", "published_at": NOW - datetime.timedelta(days=1)},
    "scheduled": {"status": "published", "published_at": NOW + datetime.timedelta(days=1)},
    "draft": {"status": "draft", "published_at": None},
    "unpublished": {"status": "unpublished", "published_at": NOW - datetime.timedelta(days=2)},
}
# Who sees it: anonymous and partner keys read what readers read; a reporter's key her own
# articles too; an editor's key everything.
SEES = {
    "anonymous": {"published"},
    "partner": {"published"},
    "reporter (her own)": {"published", "scheduled", "draft", "unpublished"},
    "reporter (a colleague's)": {"published"},
    "editor": {"published", "scheduled", "draft", "unpublished"},
}


@pytest.mark.parametrize("who", SEES)
@pytest.mark.parametrize("state", STATES)
def test_each_caller_sees_exactly_what_the_site_lets_them(
    who, state, reporter, other_reporter, editor
):
    creator = reporter if who == "reporter (her own)" else other_reporter
    article = make_article(
        slug=f"a-{state}", headline=f"The {state} one", created_by=creator, **STATES[state]
    )
    secret = {
        "anonymous": None,
        "partner": key_for(),
        "reporter (her own)": key_for(reporter),
        "reporter (a colleague's)": key_for(reporter),
        "editor": key_for(editor),
    }[who]
    client = caller(secret)
    visible = state in SEES[who]
    response = client.get(detail(article))
    assert response.status_code == (200 if visible else 404)
    if visible:
        assert response.json()["headline"] == f"The {state} one"
        assert response.json()["status"] == STATES[state]["status"]
    else:
        assert b"The " + state.encode() not in response.content
    listed = [row["headline"] for row in client.get(ARTICLES).json()["results"]]
    assert (f"The {state} one" in listed) == visible
    by_address = client.get(f"{ARTICLES}by-address/", {"url": article.get_absolute_url()})
    if article.published_at:
        assert by_address.status_code == (200 if visible else 404)


def test_a_revoked_key_or_an_inactive_holder_is_refused(editor):
    secret = key_for()
    assert caller(secret).get(ARTICLES).status_code == 200
    ApiKey.objects.update(revoked_at=timezone.now())
    response = caller(secret).get(ARTICLES)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    staff_key = key_for(editor)
    editor.is_active = False
    editor.save()
    assert caller(staff_key).get(ARTICLES).status_code == 401
    assert caller("nr_not-a-key").get(ARTICLES).status_code == 401
    assert caller(HTTP_AUTHORIZATION="Basic dXNlcjpwdw==").get(ARTICLES).status_code == 401


def test_a_key_is_stored_as_its_digest_only():
    secret = key_for()
    key = ApiKey.objects.get()
    assert secret.startswith("nr_") and len(secret) > 40
    assert key.digest == ApiKey.digest_of(secret) and secret not in key.digest
    assert secret not in json.dumps(list(ApiKey.objects.values()), default=str)
    assert key.hint == secret[:9]


# The admin: editors make and revoke keys; the key is shown once.


def test_an_editor_makes_a_key_that_is_shown_once_and_works(editor_client):
    response = editor_client.post(
        reverse("admin:explainers_apikey_add"),
        {"name": "Partner: Daily", "requests_per_minute": "100", "user": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "shown only this once" in response.content.decode()
    secret = BeautifulSoup(response.content, "html.parser").find(id="api-key")["value"]
    # Shown on that answer alone: in no cookie, no session, no later page.
    assert all(secret not in morsel.value for morsel in editor_client.cookies.values())
    assert secret not in json.dumps(dict(editor_client.session), default=str)
    later = editor_client.get(reverse("admin:explainers_apikey_changelist"))
    assert secret not in later.content.decode()
    assert caller(secret).get(ARTICLES).status_code == 200
    key = ApiKey.objects.get()
    page = editor_client.get(reverse("admin:explainers_apikey_change", args=[key.pk]))
    assert secret not in page.content.decode() and key.hint in page.content.decode()
    editor_client.post(
        reverse("admin:explainers_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    assert caller(secret).get(ARTICLES).status_code == 401


def test_a_reporter_cannot_see_or_make_keys(reporter_client):
    key_for()
    assert reporter_client.get(reverse("admin:explainers_apikey_changelist")).status_code == 403
    response = reporter_client.post(
        reverse("admin:explainers_apikey_add"), {"name": "Mine", "requests_per_minute": "9999"}
    )
    assert response.status_code == 403
    assert ApiKey.objects.count() == 1


# The shape: the demo article against the API's own schema.


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def validate(document, schema, component):
    """Check `document` against a component of the OpenAPI 3.1 schema (JSON Schema 2020-12)."""
    jsonschema.validate(
        document,
        {"$ref": f"#/components/schemas/{component}", "components": schema["components"]},
        cls=jsonschema.Draft202012Validator,
    )


def test_the_demo_article_has_the_shape_the_schema_documents(schema, client):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    article = Article.objects.get(language="en")
    data = client.get(detail(article)).json()
    validate(data, schema, "Article")
    assert data["questions"][0]["question"] == "What is Russia and Belarus' Union State alliance?"
    assert [q["position"] for q in data["questions"]] == list(range(1, len(data["questions"]) + 1))
    first = data["quotes"][0]
    assert first["speaker"]["name"] == "Alexander Lukashenko"
    assert first["speaker_role"] and first["source"]["name"] == "Belta"
    assert data["lead"]["text"].startswith("Belarusian President Alexander Lukashenko claimed")
    assert "<p>" in data["lead"]["html"] and "<p>" not in data["lead"]["text"]
    assert {s["name"] for s in data["sources"]} >= {"Belta"}
    assert data["hero_photo"]["alt_text"] and data["hero_photo"]["credit"]
    assert data["url"].startswith("http://testserver/2022/10/11/")
    assert data["questions"][1]["url"] == f"{data['url']}#{data['questions'][1]['anchor']}"
    listing = client.get(ARTICLES).json()
    validate(listing, schema, "ArticlePage")
    for path, component in (
        ("speakers/", "SpeakerPage"),
        ("sources/", "SourceRefPage"),
        ("authors/", "AuthorPage"),
        ("tags/", "TagPage"),
    ):
        page = client.get(f"/api/v1/{path}").json()
        validate(page, schema, component)
        assert page["results"]
        one = client.get(page["results"][0]["api_url"]).json()
        validate(one, schema, component.replace("Page", "Detail").replace("Ref", ""))
    speaker = client.get("/api/v1/speakers/alexander-lukashenko/").json()
    # Quoted in the demo and in its Russian version: one speaker in both languages.
    headlines = {quote["article"]["headline"] for quote in speaker["quotes"]}
    assert headlines == {article.headline, article.versions().get().headline}
    assert data["language"] == "en"
    russian = client.get(ARTICLES, {"language": "ru"}).json()["results"]
    assert [r["language"] for r in russian] == ["ru"]


def test_corrections_and_citations_are_in_the_answer(client, on_commit):
    with on_commit():
        article = make_article()
        section = article.sections.first()
        ministry = Source.objects.create(name="Ministry", kind="statement")
        section.sources.add(ministry)
        UpdateNote.objects.create(
            article=article,
            section=section,
            kind="correction",
            text="An earlier version misnamed the ministry.",
        )
    data = client.get(detail(article)).json()
    assert data["notes"][0]["label"] == "Correction"
    assert data["notes"][0]["question"] == section.anchor
    assert data["questions"][0]["sources"] == [ministry.pk]
    assert [s["name"] for s in data["sources"]] == ["Ministry"]


# Queries: the article's answer is stored with its page document.


def test_an_article_answer_costs_a_fixed_number_of_queries(settings, client, on_commit):
    settings.NEWSROOM_PAGE_CACHE = False
    with on_commit():
        small = make_article(sections=1, quotes_per_section=1, slug="small")
        big = make_article(sections=40, quotes_per_section=5, slug="big")
        big.hero_photo = make_photo()
        big.save()
    counts = []
    for article in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail(article)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[1] <= 3, counts
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ARTICLES).status_code == 200
    assert len(queries) <= 3


# Pagination.


def test_the_cursor_is_stable_while_articles_are_published(client):
    for n in range(5):
        make_article(
            slug=f"s{n}", headline=f"Story {n}", published_at=NOW - datetime.timedelta(hours=10 - n)
        )
    first = client.get(ARTICLES, {"page_size": 2}).json()
    assert [r["headline"] for r in first["results"]] == ["Story 4", "Story 3"]
    make_article(
        slug="breaking", headline="Breaking", published_at=NOW - datetime.timedelta(minutes=1)
    )
    second = client.get(first["next"]).json()
    assert [r["headline"] for r in second["results"]] == ["Story 2", "Story 1"]
    third = client.get(second["next"]).json()
    assert [r["headline"] for r in third["results"]] == ["Story 0"]
    assert third["next"] is None


def test_articles_at_the_same_moment_are_neither_repeated_nor_skipped(client):
    same = NOW - datetime.timedelta(hours=1)
    for n in range(5):
        make_article(slug=f"t{n}", headline=f"Tie {n}", published_at=same)
    seen, url = [], ARTICLES + "?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [r["headline"] for r in page["results"]]
        url = page["next"]
    assert sorted(seen) == [f"Tie {n}" for n in range(5)] and len(seen) == 5


def test_filters(client, on_commit):
    with on_commit():
        one = make_article(slug="one", headline="One")
        two = make_article(
            slug="two", headline="Two", published_at=NOW - datetime.timedelta(days=3)
        )
        one.tags.add("Belarus")
        source = Source.objects.create(name="ISW", kind="report")
        two.lead_sources.add(source)
        quote = Quote.objects.filter(article=two).first()
        quote.speaker = None
        quote.save()
    Article.objects.filter(pk=two.pk).update(updated_at=NOW - datetime.timedelta(days=3))

    def headlines(**params):
        response = client.get(ARTICLES, params)
        assert response.status_code == 200, response.content
        return [r["headline"] for r in response.json()["results"]]

    assert headlines(tag="belarus") == ["One"]
    assert headlines(source=source.pk) == ["Two"]
    assert headlines(author="james-beardsworth") == ["One", "Two"]
    assert headlines(speaker="victor-khrenin") == ["One", "Two"]
    since = (NOW - datetime.timedelta(days=1)).isoformat()
    assert headlines(updated_since=since) == ["One"]
    assert headlines(q="One") == ["One"]


# Bad input: 400, naming the parameter.

BAD = [
    ({"colour": "red"}, "colour"),
    ({"page_size": "1000"}, "page_size"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "-1"}, "page_size"),
    ({"page_size": "9" * 50}, "page_size"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": base64.urlsafe_b64encode(b'["x", 1]').decode()}, "cursor"),
    ({"cursor": base64.urlsafe_b64encode(b'{"a": 1}').decode()}, "cursor"),
    ({"cursor": base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", true]').decode()}, "cursor"),
    ({"cursor": "A" * 5000}, "cursor"),
    ({"updated_since": "yesterday"}, "updated_since"),
    ({"updated_since": "2026-02-30T00:00:00Z"}, "updated_since"),
    ({"updated_since": "2026-01-01T00:00:00"}, "updated_since"),
    ({"q": "x" * 5000}, "q"),
    ({"q": "war\x00\x1b[31m"}, "q"),
    ({"source": "ministry"}, "source"),
    ({"source": "9" * 40}, "source"),
    ({"source": "²"}, "source"),
    ({"page_size": "²"}, "page_size"),
    ({"updated_since": "0001-01-01T00:00:00+01:00"}, "updated_since"),
    ({"updated_since": "9999-12-31T23:59:59-01:00"}, "updated_since"),
    ({"cursor": base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", 5]').decode()}, "cursor"),
    ({"cursor": base64.urlsafe_b64encode(b'["0001-01-01T00:00:00+01:00", 5]').decode()}, "cursor"),
]


@pytest.mark.parametrize("params,parameter", BAD)
def test_bad_parameters_are_400_naming_the_parameter(client, params, parameter):
    make_article()
    response = client.get(ARTICLES, params)
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_odd_addresses_are_answered_not_crashed(client):
    make_article()
    for url in (
        f"{ARTICLES}99999999999999999999999/",
        f"{ARTICLES}by-address/?url=/no/such/page/",
        f"{ARTICLES}by-address/?url=" + "%2F" * 3000,
        f"{ARTICLES}by-address/",
        "/api/v1/speakers/nobody/",
        "/api/v1/tags/%D0%B2%D0%BE%D0%B9%D0%BD%D0%B0/",
        "/api/v1/speakers/?cursor=%FF",
        f"{ARTICLES}by-address/?url=http://[::1",
        f"{ARTICLES}by-address/?url=//[",
    ):
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert response["Content-Type"] == "application/json"


# Rate limits.


def test_a_key_over_its_rate_gets_429_with_retry_after(settings):
    settings.NEWSROOM_API_ANONYMOUS_RATE = "100/min"
    slow, fast = key_for(requests_per_minute=2), key_for(requests_per_minute=50)
    client = caller(slow)
    assert [client.get(ARTICLES).status_code for _ in range(3)] == [200, 200, 429]
    response = client.get(ARTICLES)
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 60
    assert caller(fast).get(ARTICLES).status_code == 200  # each key has its own count


def test_anonymous_callers_have_a_lower_rate_per_address(settings):
    settings.NEWSROOM_API_ANONYMOUS_RATE = "3/min"
    settings.NEWSROOM_PAGE_CACHE = False  # a cached answer costs nothing and is not counted
    one, other = caller(REMOTE_ADDR="203.0.113.1"), caller(REMOTE_ADDR="203.0.113.2")
    assert [one.get(ARTICLES).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "Retry-After" in one.get(ARTICLES)
    assert other.get(ARTICLES).status_code == 200


# CORS.


def test_browsers_on_configured_origins_may_read_it(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    make_article()
    allowed = caller(HTTP_ORIGIN="https://app.example.org").get(ARTICLES)
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "origin" in allowed["Vary"].lower()  # so the edge keeps one copy per origin
    other = caller(HTTP_ORIGIN="https://evil.example").get(ARTICLES)
    assert "Access-Control-Allow-Origin" not in other
    preflight = caller(
        HTTP_ORIGIN="https://app.example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    ).options(ARTICLES)
    assert preflight.status_code == 200
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    site = caller(HTTP_ORIGIN="https://app.example.org").get("/")
    assert "Access-Control-Allow-Origin" not in site  # the site's pages are not shared


# Conditional requests, caching and invalidation.


def test_conditional_requests_get_304(client):
    article = make_article()
    first = client.get(detail(article))
    assert first["ETag"] and first["Last-Modified"]
    assert "public" in first["Cache-Control"]
    again = client.get(detail(article), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    keyed = caller(key_for())
    mine = keyed.get(detail(article))
    assert "private" in mine["Cache-Control"] and mine["ETag"]
    assert keyed.get(detail(article), HTTP_IF_NONE_MATCH=mine["ETag"]).status_code == 304
    since = keyed.get(detail(article), HTTP_IF_MODIFIED_SINCE=mine["Last-Modified"])
    assert since.status_code == 304


def test_an_edit_reaches_the_cached_answers_and_names_their_surrogate_keys(client, on_commit):
    with on_commit():
        article = make_article()
    first = client.get(detail(article))
    assert first["X-Cache"] == "MISS"
    assert edge_key(f"article-id:{article.pk}") in first["xkey"].split()
    assert client.get(detail(article))["X-Cache"] == "HIT"
    listing = client.get(ARTICLES)
    assert edge_key("home") in listing["xkey"].split()
    with on_commit():
        article.headline = "A corrected headline"
        article.save()
    assert client.get(detail(article)).json()["headline"] == "A corrected headline"
    assert client.get(ARTICLES).json()["results"][0]["headline"] == "A corrected headline"
    with on_commit():
        article.status = Article.Status.UNPUBLISHED
        article.save()
    assert client.get(detail(article)).status_code == 404
    assert client.get(ARTICLES).json()["results"] == []


def test_a_renamed_speaker_reaches_the_article_answer(client, on_commit):
    with on_commit():
        article = make_article()
    assert client.get(detail(article)).json()["quotes"][0]["speaker"]["name"] == "Victor Khrenin"
    with on_commit():
        speaker = article.quotes.first().speaker
        speaker.name = "Viktar Khrenin"
        speaker.save()
    assert client.get(detail(article)).json()["quotes"][0]["speaker"]["name"] == "Viktar Khrenin"


def test_the_documentation_page_is_served_from_the_site(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower().replace("cdn_", "")
    assert "script-src 'self'" in page["Content-Security-Policy"]


# The live API against its own schema (schemathesis): every answer conforms, none is a 5xx.


@pytest.mark.django_db(transaction=True)
def test_the_live_api_conforms_to_its_own_schema(live_server, settings, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from django.core.management import call_command

    settings.NEWSROOM_API_ANONYMOUS_RATE = "100000/min"
    call_command("load_demo", verbosity=0)
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{live_server.url}/api/v1/schema/",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "--max-examples",
            "25",
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "1",
            "--workers",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout.lower()


def test_records_shown_only_on_drafts_are_not_listed_for_readers(client, editor):
    make_article(slug="public").tags.add("Belarus")
    secret = make_article(slug="secret", status="draft", published_at=None)
    whistleblower = Speaker.objects.create(name="Whistleblower X", slug="whistleblower-x")
    Quote.objects.create(article=secret, text="They knew.", speaker=whistleblower)
    secret.tags.add("Layoffs 2027")
    for path in ("speakers/", "tags/"):
        names = [r["name"] for r in client.get(f"/api/v1/{path}").json()["results"]]
        assert names and "Whistleblower X" not in names and "Layoffs 2027" not in names
    assert client.get("/api/v1/speakers/whistleblower-x/").status_code == 404
    assert client.get("/api/v1/tags/layoffs-2027/").status_code == 404
    mine = caller(key_for(editor)).get("/api/v1/speakers/").json()["results"]
    assert "Whistleblower X" in [r["name"] for r in mine]


def test_the_rate_limit_does_not_trust_a_forwarded_address_by_default(settings):
    settings.NEWSROOM_API_ANONYMOUS_RATE = "2/min"
    settings.NEWSROOM_PAGE_CACHE = False
    codes = [
        caller(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").get(ARTICLES).status_code for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_searches_deep_pages_and_empty_lists_are_not_kept(client):
    for n in range(3):
        make_article(slug=f"k{n}", headline=f"Kept {n}")
    for params in ({"q": "Kept"}, {"tag": "nothing-here"}, {"page_size": 1, "cursor": None}):
        if "cursor" in params:
            params["cursor"] = parse_qs(
                urlsplit(client.get(ARTICLES, {"page_size": 1}).json()["next"]).query
            )["cursor"][0]
        verdicts = [client.get(ARTICLES, params).get("X-Cache") for _ in range(2)]
        assert "HIT" not in verdicts, params
    assert [client.get(ARTICLES)["X-Cache"] for _ in range(2)] == ["MISS", "HIT"]


def test_a_cyrillic_address_finds_its_article(client):
    article = make_article(slug="беларусь-и-россия", headline="Беларусь и Россия")
    url = client.get(detail(article)).json()["url"]
    assert "%D0%B1" in url.lower() or "%d0%b1" in url.lower()
    for address in (url, article.get_absolute_url(), unquote(article.get_absolute_url())):
        response = client.get(f"{ARTICLES}by-address/", {"url": address})
        assert response.status_code == 200, address
        assert response.json()["headline"] == "Беларусь и Россия"
