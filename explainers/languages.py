"""
The languages readers read in: the site's own (settings.NEWSROOM_LANGUAGE) at the addresses it
always had, each other one of settings.LANGUAGES under its code (/ru/, /ru/archive/,
/ru/tags/беларусь/, /ru/2022/10/11/…/).

The address alone decides a page's language — never a cookie or Accept-Language — so a page is
the same for every reader and is cached as one. `LanguageMiddleware` activates the language an
address starts with, and `LanguagePrefix` (Django's LocalePrefixPattern, for a root of
explainers.urls rather than of the whole project, without a prefix for the site's own
language) makes the reader pages answer under each prefix and makes `reverse()` and `{% url %}`
give the active language's addresses: a Russian page links to Russian archives, tags and feeds
without naming the language. Code that needs another language's address reverses inside
`translation.override(code)` (see `address_in`).
"""

import contextlib
import re

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_info


def prefixed():
    """The codes that have an address prefix: every language but the site's own."""
    return [code for code, _ in settings.LANGUAGES if code != settings.NEWSROOM_LANGUAGE]


def reader_language(code=None):
    """The language whose addresses and words serve `code` (the active language by default):
    itself when the site publishes in it, otherwise the site's own (a language dropped from
    LANGUAGES keeps unprefixed addresses, which still serve its articles)."""
    code = code or translation.get_language()
    return code if code in dict(settings.LANGUAGES) else settings.NEWSROOM_LANGUAGE


def language_from_path(path):
    """The language an address is in: its first segment when that is a prefixed language's
    code ("/ru/…", "/ru"), otherwise the site's own."""
    first = path[1:].split("/", 1)[0]
    if first and first in prefixed():
        return first
    return settings.NEWSROOM_LANGUAGE


def in_language(code):
    """`with in_language(article.language):` — reverse() and the site's words as that
    language's pages have them (nothing to do when it is the active one already)."""
    language = reader_language(code)
    if language == translation.get_language():
        return contextlib.nullcontext()
    return translation.override(language)


def reverse_in(language, name, **kwargs):
    """reverse() as `language`'s pages have it: reverse_in("ru", "explainers:archive") is
    "/ru/archive/"."""
    with in_language(language):
        return reverse(name, **kwargs)


def hreflang(links):
    """A page's hreflang links from its (language, address) pairs, itself among them: sorted,
    with x-default (the site's own language's) — or none when they name a single address."""
    links = sorted(dict(links).items())
    if len({address for _, address in links}) < 2:
        return []
    default = dict(links).get(settings.NEWSROOM_LANGUAGE)
    return links + ([("x-default", default)] if default else [])


def language_in_itself(code):
    """A language's name as its readers write it ("Русский"), or the newsroom's name for it."""
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return dict(settings.LANGUAGES).get(code, code)


class LanguageMiddleware:
    """Activate the language of the request's address for everything below it: the URL
    resolver (which resolves /ru/… only while Russian is active), the views and templates.
    Placed above the early page-cache hit, which resolves the address too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_from_path(request.path_info)
        request.LANGUAGE_CODE = language
        # Only for this request: what runs after it in the same thread (a test, a commit
        # callback) is in the site's language again.
        with translation.override(language):
            return self.get_response(request)


class LanguagePrefix:
    """A URL pattern matching the active language's prefix: "" for the site's own language,
    "ru/" while Russian is active. Django's LocalePrefixPattern does this for i18n_patterns(),
    which must be the root URLconf's and prefixes LANGUAGE_CODE; this one may head an included
    URLconf, so the pages that have no language (sitemaps, robots.txt, previews) stay outside
    it."""

    converters = {}

    @property
    def regex(self):
        # URLResolver reads this once per language when it builds its reverse table.
        return re.compile(re.escape(self.language_prefix))

    @property
    def language_prefix(self):
        language = reader_language()
        return "" if language == settings.NEWSROOM_LANGUAGE else f"{language}/"

    def match(self, path):
        prefix = self.language_prefix
        if path.startswith(prefix):
            return path.removeprefix(prefix), (), {}
        return None

    def check(self):
        return []

    def describe(self):
        return f"'{self}'"

    def __str__(self):
        return self.language_prefix
