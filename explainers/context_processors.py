from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, reverse


@lru_cache(maxsize=32)
def nav_urls(script_prefix, language=None):
    """The addresses every page links to, reversed once per script prefix and language rather
    than on every render (six reverse() calls were a tenth of an uncached article page). A page
    in another language than the site's links to that language's home page and feeds."""
    names = ("home", "archive", "search", "feed_rss", "feed_atom")
    from .feeds import language_kwargs

    urls = {name: reverse(f"explainers:{name}") for name in names}
    for name in ("home", "feed_rss", "feed_atom"):
        urls[name] = reverse(f"explainers:{name}", kwargs=language_kwargs(language))
    return urls


def site(request):
    """The site's identity, from settings, and its navigation, for every template."""
    return {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "site_tagline": settings.NEWSROOM_SITE_TAGLINE,
        "site_description": settings.NEWSROOM_SITE_DESCRIPTION,
        "site_twitter": settings.NEWSROOM_TWITTER,
        "site_language": settings.NEWSROOM_LANGUAGE,
        "nav": nav_urls(get_script_prefix()),
    }
