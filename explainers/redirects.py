"""
Never break a link: an article's old addresses answer 301 to where it is now.

When a published article's slug or date changes (from the admin, a restored revision, an import
or the shell: the model signals in explainers.signals call `record_move`), its old address is
recorded as a Redirect to the article. Editors see, add and delete redirects in the admin.

`RedirectMiddleware` answers a 404 whose path is a recorded old address: 301 to the article's
address now (a story moved twice goes straight to the newest), or 410 when the article has been
taken down. The 301 is public and carries the article's surrogate key, so the edge keeps it and
drops it when the article changes again (explainers.edge purges by the article's groups).
"""

from urllib.parse import unquote

from django.http import HttpResponsePermanentRedirect
from django.shortcuts import render

from . import pagecache


def public_address(article):
    """The address readers had for an article as it stands in the database (the row, before a
    save changes it), or None if they could not open it."""
    if article is None or not article.is_published():
        return None
    return unquote(article.get_absolute_url())


def record_move(article, old_address, created=False):
    """After a save: if the article was public at `old_address` and is elsewhere now, that
    address redirects to it. An address an article now answers at never redirects."""
    from .models import Redirect

    new_address = unquote(article.get_absolute_url()) if article.published_at else None
    if new_address and (created or new_address != old_address):
        Redirect.objects.filter(old_path=new_address).delete()
    if old_address and old_address != new_address:
        Redirect.objects.update_or_create(old_path=old_address, defaults={"article": article})


class RedirectMiddleware:
    """Django's RedirectFallbackMiddleware, for the newsroom's redirects: only a 404 to a GET or
    HEAD asks (one indexed query), so no other request pays for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        from .models import Redirect

        found = Redirect.objects.select_related("article").filter(old_path=request.path).first()
        if found is None:
            return response
        article = found.article
        if article.is_published():
            query = request.META.get("QUERY_STRING")
            target = article.get_absolute_url() + (f"?{query}" if query else "")
            moved = HttpResponsePermanentRedirect(target)
            # Public, for as long as the article's pages: the edge drops it with them.
            moved["Cache-Control"] = pagecache.cache_control(pagecache.next_scheduled_publication())
            # Like every page, it carries the site's key too: a change to everything drops it.
            groups = (pagecache.SITE, f"article-id:{article.pk}")
            moved["xkey"] = " ".join(sorted(pagecache.edge_key(group) for group in groups))
            return moved
        if article.is_expired() or article.status == article.Status.UNPUBLISHED:
            return render(request, "410.html", status=410)
        return response
