"""The edge cache: a real Varnish (Debian's, with vmod xkey) running deploy/varnish/newsroom.vcl
through deploy/run-edge.sh, in front of the Django live server. What it keeps and what it
passes, the surrogate keys of each page, purges by key after each kind of change, the purge
ACL, the scheduled-publication cap and grace while the origin is down."""

import datetime
import http.client
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from explainers import changes, edge, pagecache, views, workflow
from explainers.models import ShareLink
from newsroom import outage
from tests.conftest import make_article

PROJECT = Path(__file__).resolve().parent.parent
RUN_EDGE = PROJECT / "deploy/run-edge.sh"
INSTALL = PROJECT / "deploy/install-edge.sh"


def varnishd():
    found = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
    if not found:
        # The project's installer (as root it installs Debian's packages; otherwise it says how).
        subprocess.run(["bash", str(INSTALL)], check=False)
        found = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
    if not found:
        pytest.skip(
            "varnishd is missing and deploy/install-edge.sh could not install it "
            "(run it as root, or: sudo apt-get install varnish varnish-modules)"
        )
    return found


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def die_with_parent():
    """varnishd gets SIGTERM if the test process dies before stopping it (Linux)."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Edge:
    """A varnishd started by deploy/run-edge.sh, stopped by its own process id."""

    def __init__(self, origin_port, workdir):
        varnishd()
        self.port = free_port()
        self.dir = workdir
        self.process = subprocess.Popen(
            ["bash", str(RUN_EDGE)],
            env={
                "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                "EDGE_LISTEN": f"127.0.0.1:{self.port}",
                "EDGE_ORIGIN": f"127.0.0.1:{origin_port}",
                "EDGE_DIR": str(workdir),
                "EDGE_STORAGE": "malloc,32m",
                # Probed often, so that the origin's going away is seen at once. Not /healthz:
                # the live server shares the test's in-memory SQLite connection among its
                # threads, and probes querying it beside the test's own queries can crash
                # SQLite (/healthz itself is tested in test_production.py).
                "EDGE_PROBE_INTERVAL": "0.1s",
                "EDGE_PROBE_URL": "/robots.txt",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=die_with_parent,
        )
        for _ in range(300):
            if self.process.poll() is not None:
                raise RuntimeError(f"varnishd did not start: {self.process.stderr.read()!r}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("varnishd did not start")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def request(self, path, method="GET", headers=None, source="127.0.0.1"):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(source, 0)
        )
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            response.body = response.read()
            return response
        finally:
            connection.close()

    def get(self, path, **headers):
        return self.request(path, headers=headers)

    def verdict(self, path):
        return self.get(path).getheader("X-Cache")

    def backend_health(self):
        result = subprocess.run(
            [
                shutil.which("varnishadm", path="/usr/bin:/usr/sbin") or "varnishadm",
                "-n",
                str(self.dir / "varnishd"),
                "backend.list",
            ],
            capture_output=True,
            text=True,
        )
        return result.stdout

    def wait_until(self, state):
        """Until varnishadm reports the origin `state` ("healthy" or "sick")."""
        for _ in range(600):
            if f" {state} " in f" {self.backend_health()} ":
                return
            time.sleep(0.05)
        raise AssertionError(f"the origin never became {state}: {self.backend_health()}")

    def forget_everything(self):
        # Every page carries the "site" key: purging it empties the edge of pages.
        self.request("/", method="PURGE", headers={"xkey-purge": pagecache.edge_key("site")})

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="module")
def edge_dir():
    """Working directories for varnishd. Not under pytest's tmp_path: running as root, Varnish
    compiles the VCL as its own unprivileged user, who cannot enter pytest's private folder."""
    made = []

    def make():
        made.append(Path(tempfile.mkdtemp(prefix="newsroom-edge-")))
        made[-1].chmod(0o755)
        return made[-1]

    yield make
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def varnish(live_server, edge_dir):
    running = Edge(live_server.thread.port, edge_dir())
    yield running
    running.stop()


@pytest.fixture
def edge_cache(varnish, settings, transactional_db):
    """The edge in front of the live server, empty, and the origin purging it."""
    settings.NEWSROOM_EDGE = {"BACKEND": "explainers.edge.VarnishPurge", "URL": varnish.url}
    settings.NEWSROOM_PUBLIC_CACHE_CONTROL = (
        "public, max-age=60, s-maxage=86400, stale-while-revalidate=300"
    )
    varnish.wait_until("healthy")
    varnish.forget_everything()
    yield varnish
    varnish.forget_everything()


@pytest.fixture
def purges(monkeypatch):
    """The keys of every purge the origin sends (and still sends it)."""
    sent = []
    real = edge.VarnishPurge.purge

    def recording(self, keys):
        sent.append(set(keys))
        return real(self, keys)

    monkeypatch.setattr(edge.VarnishPurge, "purge", recording)
    return sent


def path_of(article):
    return article.get_absolute_url()


@pytest.fixture
def two_stories(transactional_db):
    """Two published explainers on different tags."""
    story = make_article(slug="story", headline="The story")
    story.tags.add("Belarus")
    other = make_article(slug="other", headline="Another story")
    other.tags.add("Weather")
    return story, other


# What is kept and what is passed.


def test_a_second_anonymous_read_is_a_hit(edge_cache, two_stories):
    story, _ = two_stories
    for path in (path_of(story), "/", "/feeds/rss/", "/tags/belarus/", "/sitemap.xml"):
        first = edge_cache.get(path)
        assert first.status == 200 and first.getheader("X-Cache") == "MISS", path
        second = edge_cache.get(path)
        assert second.getheader("X-Cache") == "HIT", path
        # X-Varnish names this request and the one that stored the object.
        assert len(second.getheader("X-Varnish").split()) == 2
        assert second.body == first.body
    head = edge_cache.request(path_of(story), method="HEAD")
    assert head.status == 200 and head.getheader("X-Cache") == "HIT" and head.body == b""


def test_staff_the_admin_previews_and_share_links_always_reach_the_origin(edge_cache, two_stories):
    story, _ = two_stories
    draft = make_article(slug="draft", headline="A draft", status="draft", published_at=None)
    link = ShareLink.objects.create(
        article=draft, expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    staff = {"Cookie": f"{django_settings.SESSION_COOKIE_NAME}=not-a-real-session"}
    for path, headers in (
        (path_of(story), staff),
        ("/", staff),
        ("/admin/login/", {}),
        (f"/preview/{draft.pk}/", {}),
        (link.share_url(), {}),
    ):
        verdicts = [edge_cache.get(path, **headers).getheader("X-Cache") for _ in range(2)]
        assert verdicts == ["PASS", "PASS"], path
    # A revoked share link stops working at once: nothing kept it.
    assert edge_cache.get(link.share_url()).status == 200
    ShareLink.objects.filter(pk=link.pk).update(revoked=True)
    assert edge_cache.get(link.share_url()).status == 404
    # Search results are not marked public by the origin: not kept either.
    assert edge_cache.verdict("/search/?q=story") != "HIT"
    assert edge_cache.verdict("/search/?q=story") != "HIT"


def test_tracking_parameters_and_other_cookies_share_the_one_copy(edge_cache, two_stories):
    story, _ = two_stories
    path = path_of(story)
    assert edge_cache.verdict(path + "?utm_source=newsletter&utm_medium=email") == "MISS"
    for variant in (
        path,
        path + "?fbclid=IwAR2xyz",
        path + "?gclid=abc&utm_campaign=monday",
        path + "?utm_content=x&fbclid",
    ):
        assert edge_cache.verdict(variant) == "HIT", variant
    assert edge_cache.get(path, Cookie="csrftoken=abc; _ga=GA1.2").getheader("X-Cache") == "HIT"
    # A parameter a page does read is another page.
    assert edge_cache.verdict("/?page=2") in ("MISS", "PASS")


# Surrogate keys.


def test_an_article_page_lists_exactly_its_groups_as_keys_never_shown_to_browsers(
    edge_cache, live_server, transactional_db
):
    import urllib.request

    story = make_article(slug="история", headline="История")
    story.tags.add("Беларусь")
    with urllib.request.urlopen(live_server.url + story.get_absolute_url()) as origin:
        keys = origin.headers["xkey"].split()
    assert keys == edge.keys({"site", "article:история", "tag:беларусь"})
    assert all(len(key) == 16 and key.isalnum() and key.isascii() for key in keys)
    # A hit at the origin carries the same keys.
    with urllib.request.urlopen(live_server.url + story.get_absolute_url()) as origin:
        assert origin.headers["X-Cache"] == "HIT" and origin.headers["xkey"].split() == keys

    for verdict in ("MISS", "HIT"):
        response = edge_cache.get(story.get_absolute_url())
        assert response.getheader("X-Cache") == verdict
        assert response.getheader("xkey") is None and response.getheader("X-Edge-Grace") is None


# Each kind of change purges exactly its keys, after commit.


def warm(edge_cache, *paths):
    for path in paths:
        edge_cache.get(path)
        assert edge_cache.verdict(path) == "HIT", path


def change_and_check(edge_cache, purges, change, article, untouched):
    """Run `change` in a transaction: nothing is purged before it commits; after, exactly the
    article's groups (as they were and as they are) are, and the untouched page is still a hit."""
    before_groups = changes.article_groups({article.pk})
    purges.clear()  # what setting up the articles purged
    with transaction.atomic():
        change()
        assert purges == []
        assert edge_cache.verdict(untouched) == "HIT"
    assert len(purges) == 1
    after_groups = changes.article_groups({article.pk})
    assert purges[0] == set(edge.keys(before_groups | after_groups))
    assert edge_cache.verdict(untouched) == "HIT"


def test_editing_an_article_purges_its_pages_and_no_other(edge_cache, purges, two_stories):
    story, other = two_stories
    warm(edge_cache, path_of(story), path_of(other), "/", "/tags/belarus/", "/tags/weather/")

    def edit():
        story.headline = "The story, corrected"
        story.save()

    change_and_check(edge_cache, purges, edit, story, path_of(other))
    fresh = edge_cache.get(path_of(story))
    assert fresh.getheader("X-Cache") == "MISS" and b"The story, corrected" in fresh.body
    assert edge_cache.verdict("/") == "MISS"
    assert edge_cache.verdict("/tags/belarus/") == "MISS"
    assert edge_cache.verdict("/tags/weather/") == "HIT"


def test_the_content_api_is_kept_at_the_edge_and_purged_with_the_pages(
    edge_cache, purges, two_stories
):
    story, other = two_stories
    api = "/api/v1/articles/"
    warm(edge_cache, f"{api}{story.pk}/", f"{api}{other.pk}/", api)
    keyed = edge_cache.get(api, Authorization="Bearer nr_unknown")
    assert keyed.status == 401 and keyed.getheader("X-Cache") == "PASS"  # a key's own answer

    def edit():
        story.headline = "The story, corrected"
        story.save()

    change_and_check(edge_cache, purges, edit, story, f"{api}{other.pk}/")
    fresh = edge_cache.get(f"{api}{story.pk}/")
    assert fresh.getheader("X-Cache") == "MISS" and b"The story, corrected" in fresh.body
    assert edge_cache.verdict(api) == "MISS"


def test_an_old_address_redirects_at_the_edge_and_follows_the_next_move(
    edge_cache, purges, two_stories
):
    story, _ = two_stories
    old = path_of(story)
    story.slug = "the-story-renamed"
    story.save()
    first = edge_cache.get(old)
    assert (first.status, first.getheader("Location")) == (301, path_of(story))
    second = edge_cache.get(old)
    assert second.status == 301 and second.getheader("X-Cache") == "HIT"
    # Moved again: the edge drops the kept 301 with the article's pages, and the oldest address
    # goes straight to the newest.
    story.slug = "the-story-renamed-again"
    story.save()
    third = edge_cache.get(old)
    assert third.getheader("X-Cache") == "MISS"
    assert (third.status, third.getheader("Location")) == (301, path_of(story))


def test_unpublishing_purges_the_article_everywhere(edge_cache, purges, editor, two_stories):
    story, other = two_stories
    warm(edge_cache, path_of(story), path_of(other), "/")

    def unpublish():
        workflow.unpublish(editor, story)
        story.save()

    change_and_check(edge_cache, purges, unpublish, story, path_of(other))
    assert edge_cache.get(path_of(story)).status == 410
    assert b"The story" not in edge_cache.get("/").body


def test_publishing_purges_the_lists_it_joins(edge_cache, purges, editor, two_stories):
    _, other = two_stories
    draft = make_article(slug="news", headline="Breaking news", status="draft", published_at=None)
    draft.tags.add("Belarus")
    warm(edge_cache, path_of(other), "/", "/tags/belarus/")
    purges.clear()

    def publish():
        workflow.publish(editor, draft)
        draft.save()

    change_and_check(edge_cache, purges, publish, draft, path_of(other))
    assert b"Breaking news" in edge_cache.get("/").body
    assert b"Breaking news" in edge_cache.get("/tags/belarus/").body
    assert edge_cache.get(path_of(draft)).status == 200


def test_scheduling_purges_the_lists_and_caps_their_edge_lifetime(
    edge_cache, purges, editor, two_stories
):
    _, other = two_stories
    draft = make_article(slug="later", headline="Later news", status="draft", published_at=None)
    warm(edge_cache, path_of(other), "/")
    purges.clear()
    when = timezone.now() + datetime.timedelta(hours=1)

    def schedule():
        workflow.schedule(editor, draft, when)
        draft.save()

    change_and_check(edge_cache, purges, schedule, draft, path_of(other))
    home = edge_cache.get("/")
    assert home.getheader("X-Cache") == "MISS" and b"Later news" not in home.body
    directives = dict(
        part.strip().partition("=")[::2] for part in home.getheader("Cache-Control").split(",")
    )
    # Neither the edge's lifetime nor its grace after it runs past the publication.
    left = (when - timezone.now()).total_seconds()
    assert 0 < int(directives["s-maxage"]) <= left
    assert int(directives["s-maxage"]) + int(directives["stale-while-revalidate"]) <= left
    assert int(directives["max-age"]) <= 60


def test_a_scheduled_article_appears_at_the_edge_on_time_without_a_purge(
    edge_cache, purges, editor, two_stories
):
    draft = make_article(slug="soon", headline="Soon news", status="draft", published_at=None)
    when = timezone.now() + datetime.timedelta(seconds=3)
    workflow.schedule(editor, draft, when)
    draft.save()
    purges.clear()
    home = edge_cache.get("/")
    assert b"Soon news" not in home.body
    assert edge_cache.verdict("/") == "HIT"
    while timezone.now() < when:  # the moment comes; nothing is saved, nothing purged
        time.sleep(0.1)
    assert b"Soon news" in edge_cache.get("/").body
    assert purges == []


# Who may purge.


def test_a_purge_from_another_address_is_refused(edge_cache, two_stories):
    story, _ = two_stories
    warm(edge_cache, path_of(story))
    key = {"xkey-purge": pagecache.edge_key("article:story")}
    refused = edge_cache.request("/", method="PURGE", headers=key, source="127.0.0.2")
    assert refused.status == 403
    assert edge_cache.verdict(path_of(story)) == "HIT"
    accepted = edge_cache.request("/", method="PURGE", headers=key)
    assert accepted.status == 200 and accepted.getheader("X-Purged") == "1"
    assert edge_cache.verdict(path_of(story)) == "MISS"


def test_a_failed_purge_raises_so_the_task_retries(settings):
    settings.NEWSROOM_EDGE = {
        "BACKEND": "explainers.edge.VarnishPurge",
        "URL": f"http://127.0.0.1:{free_port()}",
    }
    with pytest.raises(edge.EdgePurgeError):
        edge.purge(["abc"])


# Grace.


def test_a_client_cannot_send_the_edges_own_mark(edge_cache, settings, two_stories):
    """X-Edge-Fresh is set by vcl_hit alone: sent by a client, a page within its grace is still
    served stale (and refreshed behind it), not fetched afresh while the reader waits."""
    settings.NEWSROOM_PUBLIC_CACHE_CONTROL = (
        "public, max-age=0, s-maxage=0, stale-while-revalidate=60"
    )
    story, _ = two_stories
    assert edge_cache.verdict(path_of(story)) == "MISS"
    time.sleep(0.01)  # past its lifetime, within its grace
    forged = edge_cache.get(path_of(story), **{"X-Edge-Fresh": "1"})
    assert forged.status == 200 and forged.getheader("X-Cache") == "STALE"


@pytest.fixture
def grace_only(transactional_db, settings, edge_dir):
    """A story, an origin of its own (a live server the test may stop) and an edge in front,
    with pages the edge may keep no time at all, so that what it serves is stale at once. The
    story has been read once through the edge."""
    from pytest_django.live_server_helper import LiveServer

    settings.NEWSROOM_PUBLIC_CACHE_CONTROL = (
        "public, max-age=0, s-maxage=0, stale-while-revalidate=0"
    )
    story = make_article(slug="story", headline="The story")
    origin = LiveServer("127.0.0.1:0")
    running = None
    try:
        running = Edge(origin.thread.port, edge_dir())
        first = running.get(path_of(story))
        assert first.status == 200 and first.getheader("X-Cache") == "MISS"
        # The edge keeps a page sent with s-maxage=0 for one millisecond: wait longer than that.
        time.sleep(0.01)
        yield SimpleNamespace(origin=origin, edge=running, story=story, first=first)
    finally:
        if running:
            running.stop()
        origin.stop()


@pytest.mark.parametrize(
    "status", [500, 503], ids=["page-errors", "database-down-before-the-probe-notices"]
)
def test_the_edge_keeps_its_stale_copy_when_a_healthy_origin_answers_5xx(
    grace_only, monkeypatch, status
):
    running, story = grace_only.edge, grace_only.story
    other = make_article(slug="other", headline="The other story")

    # The origin stays up (its probe passes) but every article page now fails, and its own
    # page cache has nothing to answer from.
    def fail(*args, **kwargs):
        if status == 500:
            raise RuntimeError("a bug")
        return outage.unavailable(args[0])

    monkeypatch.setattr(views, "article_response", fail)
    caches["default"].clear()
    running.wait_until("healthy")
    for _ in range(3):  # and again: the failed refresh did not replace the stale copy
        stale = running.get(path_of(story))
        assert stale.status == 200 and stale.getheader("X-Cache") == "STALE"
        assert stale.body == grace_only.first.body
    # A page the edge never had is the origin's own answer.
    assert running.get(path_of(other)).status == status

    # Once the origin answers again, the next reader gets the fresh page.
    monkeypatch.undo()
    fresh = running.get(path_of(story))
    assert fresh.status == 200 and fresh.getheader("X-Cache") == "MISS"


def test_the_edge_answers_from_grace_while_the_origin_is_down(grace_only):
    running, story = grace_only.edge, grace_only.story
    # While the origin is up, a page past its lifetime and grace is fetched afresh.
    assert running.verdict(path_of(story)) == "MISS"

    grace_only.origin.thread.terminate()  # the origin is gone (its connections let go after)
    running.wait_until("sick")  # two failed probes of /healthz
    stale = running.get(path_of(story))
    assert stale.status == 200 and stale.getheader("X-Cache") == "STALE"
    assert stale.body == grace_only.first.body
    # A page it never had cannot be made up: the edge's own small page says so, 503.
    missing = running.get("/tags/unknown/")
    assert missing.status == 503 and missing.getheader("Retry-After") == "5"
    assert "Back in a moment" in missing.body.decode() and "Guru" not in missing.body.decode()
