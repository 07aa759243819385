"""The production stack: the page cache and its invalidation, conditional GETs, Redis going away,
health, logging, security headers and `check --deploy`."""

import contextlib
import datetime
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from explainers.models import Article, Source
from tests.conftest import NO_LOCAL_NAMES, make_article
from tests.test_admin import change_url, errors, form_data

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parent.parent
NOW = timezone.now


def headline_on(client, url):
    html = BeautifulSoup(client.get(url).content, "html.parser")
    return [a.text for a in html.select(".card-headline a")] or [html.h1.text]


# The page cache.


def test_anonymous_pages_are_served_from_the_cache_without_queries(client, story):
    first = client.get(story.get_absolute_url())
    assert first["X-Cache"] == "MISS"
    with CaptureQueriesContext(connection) as queries:
        second = client.get(story.get_absolute_url())
    assert second["X-Cache"] == "HIT" and len(queries) == 0
    assert second.content == first.content
    assert second["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert second["Vary"] == "Cookie"


# A hit is answered before the session, CSRF, authentication and messages middleware run.

HEAVY_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware.process_request",
    "django.middleware.common.CommonMiddleware.process_request",
    "django.middleware.csrf.CsrfViewMiddleware.process_view",
    "django.contrib.auth.middleware.AuthenticationMiddleware.process_request",
    "django.contrib.messages.middleware.MessageMiddleware.process_request",
]


@contextlib.contextmanager
def heavy_middleware_refused():
    """Every heavy middleware fails the request it sees."""
    with contextlib.ExitStack() as stack:
        for target in HEAVY_MIDDLEWARE:
            stack.enter_context(mock.patch(target, side_effect=AssertionError(target)))
        yield


@pytest.mark.parametrize(
    "first, again",
    [
        ("ARTICLE", "ARTICLE"),
        ("/", "/?page=1&utm_source=x"),
        ("/tags/belarus/", "/tags/belarus/?fbclid=1"),
        ("/feeds/rss/", "/feeds/rss/"),
        ("/sitemap-articles.xml", "/sitemap-articles.xml?p=1"),
    ],
)
def test_a_cached_page_is_answered_before_the_heavy_middleware(client, story, first, again):
    article = story.get_absolute_url()
    first, again = (article if url == "ARTICLE" else url for url in (first, again))
    miss = client.get(first)
    assert miss["X-Cache"] == "MISS"
    with heavy_middleware_refused():
        hit = client.get(again)
        # Not cached: it goes through all of them, and the first one refuses it.
        with pytest.raises(AssertionError):
            client.get("/search/", {"q": "story"})
    assert hit["X-Cache"] == "HIT" and hit.content == miss.content


def test_an_early_hit_carries_every_header_of_the_page_it_repeats(client, story):
    miss = client.get(story.get_absolute_url())
    hit = client.get(story.get_absolute_url())
    assert (miss["X-Cache"], hit["X-Cache"]) == ("MISS", "HIT")
    headers = dict(miss.headers)
    assert headers.pop("X-Cache") == "MISS"
    assert "Content-Security-Policy" in headers and "X-Frame-Options" in headers
    assert "xkey" in headers  # the surrogate keys the edge purges the page by
    assert dict(hit.headers) == {**headers, "X-Cache": "HIT"}
    # The page renders no CSP nonce, so the stored page and the policy it is sent with agree.
    assert "nonce" not in hit["Content-Security-Policy"]
    assert b"nonce=" not in hit.content


def test_an_early_304_and_head_carry_the_validators(client, story):
    first = client.get(story.get_absolute_url())
    again = client.get(story.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert again["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in again
    head = client.head(story.get_absolute_url())
    assert head["X-Cache"] == "HIT" and head["Content-Length"] == first["Content-Length"]


def test_staff_and_writes_pass_the_early_hit_by(editor_client, reader, story):
    from django.test import Client

    reader.get(story.get_absolute_url())
    assert reader.get(story.get_absolute_url())["X-Cache"] == "HIT"
    response = editor_client.get(story.get_absolute_url())  # a session cookie
    assert "X-Cache" not in response and "private" in response["Cache-Control"]
    # A POST is never a hit: it reaches CSRF, which refuses it without a token.
    assert Client(enforce_csrf_checks=True).post(story.get_absolute_url()).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/tags/belarus/",
        "/authors/james-beardsworth/",
        "/feeds/rss/",
        "/feeds/atom/",
        "/tags/belarus/rss/",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/news-sitemap.xml",
        "/archive/",
    ],
)
def test_listings_feeds_and_sitemaps_are_cached(client, story, url):
    assert client.get(url)["X-Cache"] == "MISS"
    assert client.get(url)["X-Cache"] == "HIT"


def test_staff_always_see_fresh_pages_marked_private(editor_client, story):
    for _ in range(2):
        response = editor_client.get(story.get_absolute_url())
        assert "X-Cache" not in response
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_search_and_previews_are_not_cached(client, editor_client, story):
    assert "X-Cache" not in client.get("/search/", {"q": "story"})
    draft = make_article(slug="draft", status="draft", published_at=None)
    response = editor_client.get(draft.get_absolute_url())
    assert "no-store" in response["Cache-Control"]


def test_a_conditional_get_for_an_unchanged_article_is_304_without_rendering(client, story):
    first = client.get(story.get_absolute_url())
    with (
        mock.patch("explainers.views.render_article", side_effect=AssertionError("rendered")),
        CaptureQueriesContext(connection) as queries,
    ):
        again = client.get(story.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
        since = client.get(
            story.get_absolute_url(), headers={"If-Modified-Since": first["Last-Modified"]}
        )
    assert again.status_code == since.status_code == 304
    assert again["ETag"] == first["ETag"] and len(queries) == 0


def test_a_changed_article_no_longer_matches_its_old_etag(reader, editor_client, story, on_commit):
    etag = reader.get(story.get_absolute_url())["ETag"]
    data = form_data(editor_client.get(change_url(story)))
    data["headline"] = "The story, corrected"
    with on_commit():
        assert errors(editor_client.post(change_url(story), data, follow=True)) == []
    response = reader.get(story.get_absolute_url(), headers={"If-None-Match": etag})
    assert response.status_code == 200 and response["ETag"] != etag


# The cache keys on the page asked for, not on the address's junk.


class KeyRecorder:
    """The page cache's cache, recording every key it writes: the keys are the entries, on any
    backend (local memory, or Redis in the second CI pass)."""

    def __init__(self, cache):
        self.cache, self.keys = cache, set()

    def __getattr__(self, name):
        return getattr(self.cache, name)

    def set(self, key, *args, **kwargs):
        self.keys.add(key)
        return self.cache.set(key, *args, **kwargs)

    def add(self, key, *args, **kwargs):
        self.keys.add(key)
        return self.cache.add(key, *args, **kwargs)


@pytest.fixture
def cache_entries(monkeypatch):
    """How many entries the page cache has written so far (pages and group tokens)."""
    from explainers import pagecache

    recorder = KeyRecorder(pagecache.cache)
    monkeypatch.setattr(pagecache, "cache", recorder)
    return lambda: len(recorder.keys)


def test_junk_query_strings_get_the_cached_page_and_add_no_cache_entries(
    client, story, cache_entries
):
    first = client.get("/")
    assert first["X-Cache"] == "MISS"
    entries = cache_entries()
    junk = [
        "utm_source=newsletter&utm_medium=email&utm_campaign=monday",
        "fbclid=IwAR2xyz",
        "x=1",
        "page=1",
        "page=01&ref=home",
        *(f"_={n}" for n in range(100)),
    ]
    for query in junk:
        response = client.get(f"/?{query}")
        assert response["X-Cache"] == "HIT", query
        assert response.content == first.content and response["ETag"] == first["ETag"]
    assert cache_entries() == entries


NINE_DAYS = datetime.timedelta(days=9)


def test_a_later_page_is_one_cache_entry_however_its_address_is_spelled(
    client, settings, story, cache_entries
):
    settings.NEWSROOM_ARTICLES_PER_PAGE = 1
    older = make_article(slug="older", headline="Older story", published_at=NOW() - NINE_DAYS)
    older.tags.add("Belarus")
    second = client.get("/tags/belarus/", {"page": "2"})
    assert second["X-Cache"] == "MISS" and "Older story" in second.content.decode()
    entries = cache_entries()
    for query in ({"page": "02"}, {"page": "2", "utm_source": "x"}, {"page": " 2"}):
        response = client.get("/tags/belarus/", query)
        assert response["X-Cache"] == "HIT" and response.content == second.content, query
    assert cache_entries() == entries


@pytest.mark.parametrize("number", ["99999", "abc", "0", "last"])
def test_a_page_that_does_not_exist_is_not_found_and_never_cached(
    client, story, number, cache_entries
):
    client.get("/")
    entries = cache_entries()
    for _ in range(2):
        response = client.get("/", {"page": number})
        assert response.status_code == 404 and "X-Cache" not in response
    assert cache_entries() == entries


# Who said what and who is cited: cached, and refreshed by the articles they list.


def test_a_source_page_is_cached_until_an_explainer_citing_it_changes(reader, story, on_commit):
    source = Source.objects.create(name="Belta", kind="agency")
    with on_commit():
        story.lead_sources.add(source)
    url = source.get_absolute_url()
    assert reader.get(url)["X-Cache"] == "MISS"
    assert reader.get(url)["X-Cache"] == "HIT"
    with on_commit():
        story.headline = "The story, corrected"
        story.save()
    response = reader.get(url)
    assert response["X-Cache"] == "MISS" and "The story, corrected" in response.content.decode()
    with on_commit():
        fresh = make_article(slug="fresh", headline="Fresh explainer")
        fresh.lead_sources.add(source)
    html = BeautifulSoup(reader.get(url).content, "html.parser")
    assert [a.text for a in html.select(".citing > li > a")][0] == "Fresh explainer"
    with on_commit():
        source.name = "Belta news agency"
        source.save()
    assert "Belta news agency" in reader.get(url).content.decode()


def test_a_speaker_page_is_cached_until_a_quote_of_theirs_changes(reader, story, on_commit):
    url = story.quotes.first().speaker.get_absolute_url()
    assert reader.get(url)["X-Cache"] == "MISS"
    assert reader.get(url)["X-Cache"] == "HIT"
    quote = story.quotes.first()
    with on_commit():
        quote.text = "Words said again"
        quote.save()
    response = reader.get(url)
    assert response["X-Cache"] == "MISS" and "Words said again" in response.content.decode()
    with on_commit():
        Article.objects.filter(pk=story.pk).get().delete()
    assert "No published quotes" in reader.get(url).content.decode()


# Invalidation: the pages that show an article change with it, and only those.


def test_editing_an_article_refreshes_the_pages_that_show_it(
    reader, editor_client, story, on_commit
):
    with on_commit():  # committed, as it would be on a live site before the edit
        other = make_article(slug="other", headline="Another story")
        other.tags.add("Elsewhere")
    urls = [
        story.get_absolute_url(),
        "/",
        "/tags/belarus/",
        "/authors/james-beardsworth/",
        "/feeds/rss/",
        "/sitemap-articles.xml",
    ]
    for url in urls + [other.get_absolute_url(), "/tags/elsewhere/"]:
        reader.get(url)
    data = form_data(editor_client.get(change_url(story)))
    data.update({"headline": "The story, corrected", "tags": "Belarus, Minsk"})
    with on_commit():
        assert errors(editor_client.post(change_url(story), data, follow=True)) == []
    for url in urls:
        response = reader.get(url)
        assert response["X-Cache"] == "MISS", url
        if "sitemap" not in url:  # a sitemap lists addresses, not headlines
            assert "The story, corrected" in response.content.decode(), url
    assert reader.get("/tags/minsk/")["X-Cache"] == "MISS"
    # Pages that do not show it keep their cached copy.
    assert reader.get(other.get_absolute_url())["X-Cache"] == "HIT"
    assert reader.get("/tags/elsewhere/")["X-Cache"] == "HIT"


def test_removing_a_tag_takes_the_article_off_that_tags_pages(
    reader, editor_client, story, on_commit
):
    assert headline_on(reader, "/tags/belarus/") == ["The story"]
    data = form_data(editor_client.get(change_url(story)))
    data["tags"] = "Minsk"
    with on_commit():
        editor_client.post(change_url(story), data)
    assert reader.get("/tags/belarus/").status_code == 404 or headline_on(
        reader, "/tags/belarus/"
    ) != ["The story"]


def test_unpublishing_takes_it_off_every_page(reader, editor_client, story, on_commit):
    for url in (story.get_absolute_url(), "/", "/feeds/rss/"):
        reader.get(url)
    with on_commit():
        editor_client.post(
            "/admin/explainers/article/",
            {"action": "unpublish", "_selected_action": [story.pk]},
        )
    assert reader.get(story.get_absolute_url()).status_code == 410
    assert "The story" not in reader.get("/").content.decode()
    assert "The story" not in reader.get("/feeds/rss/").content.decode()


def test_publishing_puts_it_on_the_home_page(reader, editor_client, story, on_commit):
    draft = make_article(
        slug="fresh", headline="Fresh explainer", status="review", published_at=None
    )
    assert "Fresh explainer" not in reader.get("/").content.decode()
    with on_commit():
        editor_client.post(
            "/admin/explainers/article/",
            {"action": "publish_now", "_selected_action": [draft.pk]},
        )
    assert headline_on(reader, "/")[0] == "Fresh explainer"


def test_a_scheduled_article_appears_on_time_although_pages_are_cached(client, story):
    soon = NOW() + datetime.timedelta(minutes=30)
    make_article(slug="scheduled", headline="Scheduled explainer", published_at=soon)
    assert "Scheduled explainer" not in client.get("/").content.decode()
    assert client.get("/")["X-Cache"] == "HIT"
    later = soon + datetime.timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = client.get("/")
    assert response["X-Cache"] == "MISS"
    assert headline_on(client, "/")[0] == "Scheduled explainer"


def test_importing_an_article_again_refreshes_its_page(client, on_commit, tmp_path):
    from tests.test_importer import SMALL

    path = tmp_path / "story.txt"
    path.write_text(SMALL)
    with on_commit():
        call_command("import_explainer", str(path), "--publish", verbosity=0)
    article = Article.objects.get()
    assert "What is it?" in client.get(article.get_absolute_url()).content.decode()
    path.write_text(SMALL.replace("What is it?", "What is the treaty?"))
    with on_commit():
        call_command("import_explainer", str(path), verbosity=0)
    assert "What is the treaty?" in client.get(article.get_absolute_url()).content.decode()


def test_renaming_a_speaker_refreshes_every_page(reader, editor_client, story, on_commit):
    from explainers.models import Speaker

    reader.get(story.get_absolute_url())
    speaker = Speaker.objects.get()
    url = f"/admin/explainers/speaker/{speaker.pk}/change/"
    with on_commit():
        editor_client.post(
            url,
            {"name": "Viktar Khrenin", "slug": speaker.slug, "usual_role": "", **NO_LOCAL_NAMES},
        )
    assert "Viktar Khrenin" in reader.get(story.get_absolute_url()).content.decode()


# Redis.


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_cache(port):
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
            },
        }
    }


def start_redis(port):
    process = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def test_when_redis_goes_away_the_site_serves_from_the_database_and_recovers(
    client, settings, story, caplog
):
    port = free_port()
    redis = start_redis(port)
    try:
        settings.CACHES = redis_cache(port)
        settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
        client.get(story.get_absolute_url())
        assert client.get(story.get_absolute_url())["X-Cache"] == "HIT"
        assert client.get("/healthz").status_code == 200

        redis.terminate()
        redis.wait(5)
        response = client.get(story.get_absolute_url())
        assert response.status_code == 200 and "The story" in response.content.decode()
        assert response["X-Cache"] == "MISS"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["cache"] == "failing"
        assert health.json()["database"] == "ok"

        redis = start_redis(port)
        client.get(story.get_absolute_url())
        assert client.get(story.get_absolute_url())["X-Cache"] == "HIT"
        assert client.get("/healthz").status_code == 200
    finally:
        redis.terminate()
        redis.wait(5)
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


# Health, logging, headers, deployment checks.


def test_healthz_reports_the_database_and_the_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_fails(client):
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute", side_effect=Exception("down")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "failing"


def test_every_request_is_logged_as_one_structured_line(client, story, caplog):
    import logging

    logger = logging.getLogger("newsroom.requests")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level("INFO", logger="newsroom.requests"):
            client.get(story.get_absolute_url())
    finally:
        logger.removeHandler(caplog.handler)
    (record,) = [r for r in caplog.records if r.name == "newsroom.requests"]
    assert (record.method, record.path, record.status) == ("GET", story.get_absolute_url(), 200)
    assert record.duration_ms > 0

    import json

    from newsroom.logging import JsonFormatter

    line = json.loads(JsonFormatter().format(record))
    assert line["status"] == 200 and line["path"] == story.get_absolute_url()


def test_reader_pages_carry_the_security_headers(client, story):
    response = client.get(story.get_absolute_url())
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "geolocation=()" in response["Permissions-Policy"]


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "k" * 10
        + "-production-secret-key-of-fifty-characters-or-more-0123456789",
        "DJANGO_ALLOWED_HOSTS": "news.example",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def manage(*args, **variables):
    """Run manage.py in a fresh process with these environment variables and no DJANGO_DEBUG or
    DJANGO_SECRET_KEY but those given (the test run itself reads the settings with
    DJANGO_DEBUG=1: see tests/environment.py)."""
    unset = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_DEBUG", "DJANGO_SECRET_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in unset} | variables
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SECRET = "k" * 10 + "-production-secret-key-of-fifty-characters-or-more-0123456789"


def test_debug_is_off_unless_django_debug_is_set_to_1():
    show = ("shell", "-v", "0", "-c", "from django.conf import settings; print(settings.DEBUG)")
    assert manage(*show, DJANGO_SECRET_KEY=SECRET).stdout.split()[-1] == "False"
    assert manage(*show, DJANGO_SECRET_KEY=SECRET, DJANGO_DEBUG="0").stdout.split()[-1] == "False"
    assert manage(*show, DJANGO_DEBUG="1").stdout.split()[-1] == "True"


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"DJANGO_DEBUG": "0"},
        {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": ""},
        {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "development"},
    ],
    ids=["nothing set", "no key", "empty key", "the development key"],
)
def test_production_refuses_to_start_without_a_secret_key_of_its_own(variables):
    from newsroom.settings import development_key

    if variables.get("DJANGO_SECRET_KEY") == "development":
        variables = {**variables, "DJANGO_SECRET_KEY": development_key}
    result = manage("check", **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set" in result.stderr


def test_collected_static_files_have_hashed_names_and_far_future_caching(
    client, settings, tmp_path
):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.templatetags.static import static

    url = static("css/site.css")
    assert url != "/static/css/site.css" and url.startswith("/static/css/site.")
    from django.test import Client

    response = Client().get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert (
        "immutable" in response["Cache-Control"]
        and "max-age=315360000" in response["Cache-Control"]
    )
    assert response["Content-Encoding"] in ("gzip", "br")


def test_the_local_memory_cache_still_warns_of_keys_memcached_would_refuse():
    from django.core.cache import CacheKeyWarning

    from newsroom.cache import LocalMemoryCache

    cache = LocalMemoryCache("test", {})
    with pytest.warns(CacheKeyWarning, match="characters that will cause errors"):
        cache.set("a key with spaces", 1)
    with pytest.warns(CacheKeyWarning, match="longer than"):
        cache.set("k" * 300, 1)
    cache.set("pagecache:group:0123456789abcdef", 1)  # no warning
    assert cache.get("pagecache:group:0123456789abcdef") == 1


def test_the_local_memory_cache_reads_many_keys_at_once_as_one_by_one():
    from newsroom.cache import LocalMemoryCache

    cache = LocalMemoryCache("test-many", {})
    cache.set("a", {"page": 1})
    cache.set("b", "token")
    cache.set("gone", 1, timeout=-1)  # already expired
    cache.set("a", 2, version=2)
    assert cache.get_many(["a", "b", "gone", "missing"]) == {"a": {"page": 1}, "b": "token"}
    assert cache.get_many(["a"], version=2) == {"a": 2}
    assert "gone" not in cache  # an expired key read is dropped, as get() drops it
    values = cache.get_many(["a"])
    values["a"]["page"] = 99  # a copy, as get() gives: the cached value is unchanged
    assert cache.get("a") == {"page": 1}
