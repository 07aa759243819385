"""/api/v1/: the content API, its schema and its documentation page. Anonymous answers are cached
like the site's pages, until what they show changes (explainers.pagecache)."""

from django.http import JsonResponse
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .. import urls as site_urls  # noqa: F401 — registers the <unicode_slug:> converter
from ..pagecache import EVERY, cached_page
from . import views

app_name = "api"


def cached(view, groups=()):
    """An endpoint cached for anonymous callers under every query parameter it is given (a
    parameter it does not read is a 400, and only 200s are kept)."""
    return cached_page(view.as_view(), groups=(lambda request, **kwargs: list(groups)), query=EVERY)


urlpatterns = [
    path("articles/", cached(views.ArticleList, ["home"]), name="article-list"),
    path("articles/by-address/", cached(views.ArticleByAddress), name="article-by-address"),
    path("articles/<int:pk>/", cached(views.ArticleDetail), name="article-detail"),
    path("speakers/", cached(views.SpeakerList, ["archive"]), name="speaker-list"),
    path(
        "speakers/<unicode_slug:slug>/",
        cached(views.SpeakerDetail, ["home"]),
        name="speaker-detail",
    ),
    path("sources/", cached(views.SourceList, ["archive"]), name="source-list"),
    path("sources/<int:pk>/", cached(views.SourceDetail, ["home"]), name="source-detail"),
    path("authors/", cached(views.AuthorList, ["archive"]), name="author-list"),
    path(
        "authors/<unicode_slug:slug>/", cached(views.AuthorDetail, ["home"]), name="author-detail"
    ),
    path("tags/", cached(views.TagList, ["archive"]), name="tag-list"),
    path("tags/<unicode_slug:slug>/", cached(views.TagDetail, ["home"]), name="tag-detail"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Any other address under /api/v1/ (a malformed id, a typo) is a JSON 404, not the site's page.
    re_path(
        r"", lambda request, **kwargs: JsonResponse({"detail": "No such endpoint."}, status=404)
    ),
]
