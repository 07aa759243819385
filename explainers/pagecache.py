"""
Anonymous reader pages, cached until what they show changes — never by a short timeout.

Every cached page records the *groups* it depends on ("article:<slug>", "tag:<slug>", "home",
"feeds", …): the URL names some, and the view adds the rest with `depends_on()`. Each group has a
token in the cache; a cached page remembers the tokens it was rendered under and is served only
while they are all unchanged. When a change commits, the change pipeline (explainers.changes)
deletes the tokens of the groups the changed articles appeared in and appear in now (`bump()`),
so the pages showing them are rendered afresh and no other page is touched. A token that is missing —
never made, or evicted — gets a new value, which can only cause a miss, never a stale page. A
page is also never served past the next scheduled publication, so a scheduled article appears on
time.

Requests carrying a session cookie (staff) are never cached and are marked private. If the cache
is unavailable every lookup is a miss and pages are rendered from the database.

A hit is answered by `cached_hit()`, the one hit path: early, by `EarlyHitMiddleware` (before the
session, CSRF, authentication and messages middleware, which a reader's hit has no use for), and
by the view's decorator for any request that reaches the view all the same.
"""

import hashlib
import uuid
from dataclasses import dataclass
from functools import lru_cache, wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min, Q
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import http_date, parse_http_date_safe, quote_etag, urlencode

GROUP = "pagecache:group:"
PAGE = "pagecache:page:"
NEXT_SCHEDULED = "pagecache:next-scheduled"
SITE = "site"  # every cached page depends on it: edits that touch the whole site bump it
# A view's `query` for page_key(): every parameter is part of the key. For views that answer a
# parameter they do not read with a 400 (the content API), so junk never makes an entry.
EVERY = "every parameter"


@dataclass
class Entry:
    content: bytes
    content_type: str
    tokens: dict  # the cache key of each group's token -> the token it was rendered under
    rendered_at: float
    valid_until: float | None
    etag: str = ""
    last_modified: str = ""
    surrogate_keys: str = ""  # the `xkey` header: the edge key of each group (see edge_key)

    def __post_init__(self):
        # Worked out once when the page is rendered, not on every hit.
        self.last_modified = self.last_modified or http_date(self.rendered_at)
        self.surrogate_keys = self.surrogate_keys or keys_header(self.tokens)
        if not self.etag:
            digest = hashlib.sha1(self.content)
            digest.update("".join(sorted(self.tokens.values())).encode())
            self.etag = quote_etag(digest.hexdigest()[:20])


def depends_on(request, *groups):
    """Declare that the page being rendered shows what these groups cover."""
    if hasattr(request, "page_cache_groups"):
        request.page_cache_groups.update(groups)


def group_key(group):
    """The cache key of a group's token: a short digest, whatever the group's length or script
    (a Cyrillic tag's slug too). A cache hit reads one per group, and the cache checks each key
    character by character, so short keys make hits cheaper."""
    return GROUP + hashlib.blake2b(group.encode(), digest_size=8).hexdigest()


def edge_key(group):
    """The surrogate key of a group at the edge cache: the digest of its token's cache key,
    without the cache's prefix — short, and safe in a header whatever the group's script."""
    return group_key(group)[len(GROUP) :]


def keys_header(token_keys):
    """The `xkey` header of a page rendered under these token keys (one per group)."""
    return " ".join(sorted(key[len(GROUP) :] for key in token_keys))


def tokens(groups):
    """The current token of each group (by its key), giving a fresh one to any that has none."""
    keys = [group_key(group) for group in groups]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, uuid.uuid4().hex[:16], timeout=None)
        found.update(cache.get_many(missing))
    # Unreadable (the cache is down): a value no entry can match.
    return {key: found.get(key) or uuid.uuid4().hex for key in keys}


def bump(groups):
    """Invalidate every cached page that depends on any of these groups."""
    if groups:
        cache.delete_many([group_key(group) for group in groups])
        cache.delete(NEXT_SCHEDULED)  # an article may have been scheduled or unscheduled


def still_valid(entry):
    if entry.valid_until is not None and timezone.now().timestamp() >= entry.valid_until:
        return False
    # The keys were worked out when the page was stored; a token gone since is a miss.
    return cache.get_many(list(entry.tokens)) == entry.tokens


def next_scheduled_publication():
    """When the next scheduled article goes public, or the next published one is taken down at
    its expiry time (a timestamp, or None): cached pages must not outlive it, so that both
    happen on time with no job to run. Kept in the cache until an article changes or the moment
    passes."""
    from .models import Article

    known = cache.get(NEXT_SCHEDULED)
    now = timezone.now().timestamp()
    if known is None or (known["at"] is not None and known["at"] <= now):
        moment = timezone.now()
        # One query: the first scheduled publication and the first expiry still to come.
        found = (
            Article.objects.filter(status=Article.Status.PUBLISHED)
            .filter(Q(published_at__gt=moment) | Q(expires_at__gt=moment))
            .aggregate(
                publication=Min("published_at", filter=Q(published_at__gt=moment)),
                expiry=Min("expires_at", filter=Q(expires_at__gt=moment, published_at__lte=moment)),
            )
        )
        moments = [found[name] for name in ("publication", "expiry") if found[name] is not None]
        moment = min(moments) if moments else None
        known = {"at": moment.timestamp() if moment else None}
        cache.set(NEXT_SCHEDULED, known, timeout=None)
    return known["at"]


def page_number(value):
    """A `page` value as the cache key knows it: every spelling int() reads as one number (as
    Django's Paginator reads it) is that page, and page 1 is the page without the parameter.
    Anything else is kept as it is; the view answers it with a 404, which is never cached."""
    try:
        number = int(value)
    except ValueError:
        return value
    return None if number == 1 else str(number)


def page_key(request, query=None):
    """The cache key of the page a request asks for: its address and only the query parameters
    its view reads — `query` maps each name to its normaliser, e.g. {"page": page_number}.

    Any other parameter (utm_source, fbclid, a cache-buster) gets the same page, so it shares
    its entry: were it part of the key, every junk query string would be one more page kept for a
    day, and a script could evict the pages readers want.
    """
    if query is EVERY:
        raw = f"{request.scheme}://{request.get_host()}{request.path}?"
        raw += urlencode(sorted((k, v) for k, values in request.GET.lists() for v in values))
        return PAGE + hashlib.sha1(raw.encode()).hexdigest()
    known = []
    for name, normalise in sorted((query or {}).items()):
        value = request.GET.get(name)  # the last one given, as the view reads it
        value = None if value is None else normalise(value)
        if value is not None:
            known.append((name, value))
    raw = f"{request.scheme}://{request.get_host()}{request.path}?{urlencode(known)}"
    return PAGE + hashlib.sha1(raw.encode()).hexdigest()


def cacheable(request):
    """Anonymous reads only: no session (staff) and no credentials (an API key's answer is its
    holder's, and its rate limit must see every request)."""
    return (
        settings.NEWSROOM_PAGE_CACHE
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


@lru_cache(maxsize=8)
def cache_directives(setting):
    """NEWSROOM_PUBLIC_CACHE_CONTROL as (directive, seconds or None) pairs, read once."""
    directives = []
    for part in setting.split(","):
        name, _, value = part.strip().partition("=")
        if value.strip().isdigit():
            directives.append((name.strip().lower(), int(value)))
        elif part.strip():
            directives.append((part.strip(), None))  # "public", or a directive kept as written
    return tuple(directives)


LIFETIMES = ("max-age", "s-maxage")


def cache_control(valid_until, now=None):
    """The Cache-Control of a public page: NEWSROOM_PUBLIC_CACHE_CONTROL (s-maxage for the edge,
    max-age for browsers, stale-while-revalidate as the edge's grace), its lifetimes cut so that
    no copy outlives `valid_until` — the next scheduled publication as it was when the page was
    rendered (an article scheduled since then showing on this page purged it): max-age and
    s-maxage end by then, and s-maxage plus stale-while-revalidate too."""
    setting = settings.NEWSROOM_PUBLIC_CACHE_CONTROL
    if valid_until is None:
        return setting
    left = max(0, int(valid_until - (now if now is not None else timezone.now().timestamp())))
    directives = cache_directives(setting)
    values = dict(directives)
    edge = min(values.get("s-maxage", values.get("max-age")) or 0, left)
    parts = []
    for name, seconds in directives:
        if seconds is None:
            parts.append(name)
            continue
        if name in LIFETIMES:
            seconds = min(seconds, left)
        elif name == "stale-while-revalidate":
            seconds = min(seconds, left - edge)
        parts.append(f"{name}={seconds}")
    return ", ".join(parts)


def public_headers(response, entry, state):
    """The headers of a public page, on a miss and on a hit alike (the page cache's own views
    and any middleware serving its hits call this): validators, lifetimes, and the surrogate
    keys the edge cache purges it by (the edge strips them before browsers see them)."""
    response["ETag"] = entry.etag
    response["Last-Modified"] = entry.last_modified
    response["Cache-Control"] = cache_control(entry.valid_until)
    response["Vary"] = "Cookie"
    response["X-Cache"] = state
    response["xkey"] = entry.surrogate_keys or keys_header(entry.tokens)
    return response


def not_modified(request, entry):
    # META rather than request.headers: building the headers mapping was a tenth of a hit.
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        return (
            entry.etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match == "*"
        )
    if_modified_since = request.META.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since is None:
        return False
    since = parse_http_date_safe(if_modified_since)
    return since is not None and int(entry.rendered_at) <= since


def cached_hit(request, key):
    """The answer to a request from its valid cached page (a 304 when the reader has it), or None
    on a miss. The body's length is set here: an early hit passes no CommonMiddleware."""
    entry = cache.get(key)
    if entry is None or not still_valid(entry):
        return None
    if not_modified(request, entry):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(entry.content, content_type=entry.content_type)
    response["Content-Length"] = str(len(response.content))
    return public_headers(response, entry, "HIT")


class EarlyHitMiddleware:
    """Answer a reader's cached page before the heavy middleware: for a cacheable request
    (anonymous GET/HEAD) to a view wrapped by `cached_page`, the same key and the same hit as the
    view's decorator. Anything else — a miss, another view, an unknown address — goes on down the
    chain unchanged. Placed below the middleware whose headers every response carries (security,
    CSP, permissions policy, frame options), so an early hit carries them too."""

    KNOWN = 10_000  # addresses whose view is remembered, per process

    def __init__(self, get_response):
        self.get_response = get_response
        # The address → the query parameters of its cached view, or False: resolving the address
        # was a seventh of a hit. Forgotten when full, so junk addresses cannot grow it.
        self.views = {}

    def query(self, request):
        known = (settings.ROOT_URLCONF, request.path_info)
        query = self.views.get(known)
        if query is None:
            try:
                view = resolve(request.path_info).func
            except Resolver404:
                view = None
            query = getattr(view, "page_cache_query", False)
            if len(self.views) >= self.KNOWN:
                self.views.clear()
            self.views[known] = query
        return query

    def __call__(self, request):
        if cacheable(request) and (query := self.query(request)) is not False:
            response = cached_hit(request, page_key(request, query))
            if response is not None:
                return response
        return self.get_response(request)


def cached_page(view=None, *, groups=None, query=None):
    """Cache a reader view for anonymous visitors until its groups change.

    `groups(request, **kwargs)` names the groups known from the URL alone; the view adds the rest
    with `depends_on()` while it renders. `query` declares the query parameters the view reads
    and how to normalise them for the key (see page_key); the view must read no others.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not cacheable(request):
                response = view(request, *args, **kwargs)
                if settings.SESSION_COOKIE_NAME in request.COOKIES:
                    patch_cache_control(response, private=True, no_store=True)
                return response
            key = page_key(request, query)
            if (hit := cached_hit(request, key)) is not None:
                return hit

            request.page_cache_groups = {SITE, *(groups(request, **kwargs) if groups else ())}
            before = tokens(request.page_cache_groups)  # read before the database is
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            # A view marks an answer not worth keeping with `response.page_cache = False`.
            if (
                response.status_code != 200
                or response.streaming
                or not getattr(response, "page_cache", True)
            ):
                return response
            after = tokens(request.page_cache_groups)
            entry = Entry(
                content=response.content,
                content_type=response["Content-Type"],
                tokens=after,
                rendered_at=timezone.now().timestamp(),
                valid_until=next_scheduled_publication(),
            )
            # Stored only if nothing it shows was invalidated while it was being rendered.
            if all(after[key] == token for key, token in before.items()):
                cache.set(key, entry)
            return public_headers(response, entry, "MISS")

        # What EarlyHitMiddleware needs to find this view's pages: its query parameters.
        wrapper.page_cache_query = query or {}
        return wrapper

    return decorate(view) if view is not None else decorate
