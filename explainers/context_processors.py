from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext

from .languages import hreflang, in_language, reader_language, reverse_in
from .pagecache import page_number


@lru_cache(maxsize=32)
def nav_urls(script_prefix, language):
    """The addresses every page links to, in the page's language, reversed once per script
    prefix and language rather than on every render (six reverse() calls were a tenth of an
    uncached article page)."""
    names = ("home", "archive", "search", "feed_rss", "feed_atom")
    with in_language(language):
        return {name: reverse(f"explainers:{name}") for name in names}


def page_alternates(request, languages=None):
    """hreflang links from a reader page to the same page in each language where it exists
    (every one, unless the view gives `languages`, the published articles of every language
    the page would list: then those that have some there), and x-default
    (the site's own): /tags/беларусь/ and /ru/tags/беларусь/. None for a page that is the same
    in every language (sitemaps, previews), a later page of a list or a search: only first pages
    are worth pointing search engines at. An article's own view gives its translations instead
    (explainers.views.alternates)."""
    match = request.resolver_match
    if match is None or match.namespace != "explainers" or len(settings.LANGUAGES) < 2:
        return []
    # As the page cache reads the address: ?page=1 and unrelated parameters are the first page.
    if page_number(request.GET.get("page", "1")) is not None or "q" in request.GET:
        return []
    if languages is not None:
        # The languages of the explainers the page lists, whatever their language (read only
        # here, where it is needed: a later page never asks).
        # One EXISTS per other language: each stops at its first article (a DISTINCT would
        # read every one the page could list).
        here = reader_language()
        languages = {
            code
            for code, _ in settings.LANGUAGES
            if code != here and languages.filter(language=code).exists()
        }
    return hreflang(
        (code, request.build_absolute_uri(reverse_in(code, match.view_name, kwargs=match.kwargs)))
        for code, _ in settings.LANGUAGES
        if languages is None or code in languages or code == reader_language()
    )


def site(request):
    """The site's identity, from settings, and its navigation in the page's language, for
    every template. A view rendering another language's page (an article's) renders it inside
    explainers.languages.in_language, so all of these follow."""
    language = reader_language()
    return {
        "site_name": settings.NEWSROOM_SITE_NAME,
        # The defaults are in the message catalogues (newsroom/settings.py): a newsroom's own
        # words, set in the environment, are shown as they are.
        "site_tagline": gettext(settings.NEWSROOM_SITE_TAGLINE),
        "site_description": gettext(settings.NEWSROOM_SITE_DESCRIPTION),
        "site_twitter": settings.NEWSROOM_TWITTER,
        "site_language": settings.NEWSROOM_LANGUAGE,
        "page_language": language,
        "nav": nav_urls(get_script_prefix(), language),
        # Called by the template only where it is shown (the page head).
        "alternates": lambda: page_alternates(request),
    }
