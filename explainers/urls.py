from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from . import feeds, views
from .pagecache import cached_page
from .sitemaps import SITEMAPS


def group(name):
    """Cache groups known from the URL: `group("tag:{slug}")` fills in the URL's arguments."""
    return lambda request, **kwargs: [name.format(**kwargs)]


app_name = "explainers"

urlpatterns = [
    path("", cached_page(views.home, groups=group("home")), name="home"),
    path(
        "<int:year>/<int:month>/<int:day>/<slug:slug>/",
        cached_page(views.article_detail, groups=group("article:{slug}")),
        name="article",
    ),
    path("preview/<int:pk>/", views.article_preview, name="preview"),
    path("shared/<str:token>/", views.shared_article, name="shared"),
    path(
        "authors/<slug:slug>/",
        cached_page(views.author_detail, groups=group("author:{slug}")),
        name="author",
    ),
    path(
        "authors/<slug:slug>/rss/",
        cached_page(feeds.AuthorFeed.as_view(), groups=group("author:{slug}")),
        name="author_feed_rss",
    ),
    path(
        "authors/<slug:slug>/atom/",
        cached_page(feeds.AuthorAtomFeed.as_view(), groups=group("author:{slug}")),
        name="author_feed_atom",
    ),
    path(
        "tags/<slug:slug>/", cached_page(views.tag_detail, groups=group("tag:{slug}")), name="tag"
    ),
    path(
        "tags/<slug:slug>/rss/",
        cached_page(feeds.TagFeed.as_view(), groups=group("tag:{slug}")),
        name="tag_feed_rss",
    ),
    path(
        "tags/<slug:slug>/atom/",
        cached_page(feeds.TagAtomFeed.as_view(), groups=group("tag:{slug}")),
        name="tag_feed_atom",
    ),
    path("archive/", cached_page(views.archive_index, groups=group("archive")), name="archive"),
    path(
        "archive/<int:year>/<int:month>/",
        cached_page(views.MonthArchive.as_view(), groups=group("month:{year}-{month:02d}")),
        name="month",
    ),
    path("speakers/<slug:slug>/", views.speaker_detail, name="speaker"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("search/", views.search, name="search"),
    path(
        "feeds/rss/",
        cached_page(feeds.LatestExplainersFeed.as_view(), groups=group("feeds")),
        name="feed_rss",
    ),
    path(
        "feeds/atom/",
        cached_page(feeds.LatestExplainersAtomFeed.as_view(), groups=group("feeds")),
        name="feed_atom",
    ),
    path(
        "sitemap.xml",
        cached_page(sitemap_views.index, groups=group("sitemaps")),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "explainers:sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cached_page(sitemap_views.sitemap, groups=group("sitemaps")),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path(
        "news-sitemap.xml",
        cached_page(views.news_sitemap, groups=group("sitemaps")),
        name="news_sitemap",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
]
