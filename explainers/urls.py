from django.urls import URLResolver, path, register_converter
from django.urls.converters import StringConverter

from . import feeds, sitemaps, views
from .languages import LanguagePrefix
from .pagecache import cached_page, page_number


class UnicodeSlugConverter(StringConverter):
    """A slug in any script — "беларусь", "ελλάδα", "東京" — as taggit makes tag slugs and
    SlugField(allow_unicode=True) accepts them; Django's <slug:> is ASCII only. reverse()
    percent-encodes it, and a request's path is decoded before it is matched."""

    regex = r"[-\w]+"


register_converter(UnicodeSlugConverter, "unicode_slug")


def group(name):
    """Cache groups known from the URL: `group("tag:{slug}")` fills in the URL's arguments."""
    return lambda request, **kwargs: [name.format(**kwargs)]


# The query parameters of paginated pages (the only ones their cache keys hold) and of sitemap
# sections, which Django's sitemap view pages with `p`.
PAGED = {"page": page_number}
SITEMAP_PAGED = {"p": page_number}

app_name = "explainers"

# The pages readers read, in every language: at their addresses for the site's own language,
# under /<code>/ for each other one (explainers.languages).
reader_patterns = [
    path("", cached_page(views.home, groups=group("home"), query=PAGED), name="home"),
    path(
        "<int:year>/<int:month>/<int:day>/<unicode_slug:slug>/",
        cached_page(views.article_detail, groups=group("article:{slug}")),
        name="article",
    ),
    path(
        "authors/<unicode_slug:slug>/",
        cached_page(views.author_detail, groups=group("author:{slug}"), query=PAGED),
        name="author",
    ),
    path(
        "authors/<unicode_slug:slug>/rss/",
        cached_page(feeds.AuthorFeed.as_view(), groups=group("author:{slug}")),
        name="author_feed_rss",
    ),
    path(
        "authors/<unicode_slug:slug>/atom/",
        cached_page(feeds.AuthorAtomFeed.as_view(), groups=group("author:{slug}")),
        name="author_feed_atom",
    ),
    path(
        "tags/<unicode_slug:slug>/",
        cached_page(views.tag_detail, groups=group("tag:{slug}"), query=PAGED),
        name="tag",
    ),
    path(
        "tags/<unicode_slug:slug>/rss/",
        cached_page(feeds.TagFeed.as_view(), groups=group("tag:{slug}")),
        name="tag_feed_rss",
    ),
    path(
        "tags/<unicode_slug:slug>/atom/",
        cached_page(feeds.TagAtomFeed.as_view(), groups=group("tag:{slug}")),
        name="tag_feed_atom",
    ),
    path("archive/", cached_page(views.archive_index, groups=group("archive")), name="archive"),
    path(
        "archive/<int:year>/<int:month>/",
        cached_page(
            views.MonthArchive.as_view(), groups=group("month:{year}-{month:02d}"), query=PAGED
        ),
        name="month",
    ),
    # Who said what and who is cited are cross-sections of the whole archive: any article may
    # start or stop quoting a speaker or citing a source, so these pages depend on "archive",
    # which the change pipeline bumps for every changed article (and "site", bumped when a
    # speaker or source itself is edited, is every page's).
    path(
        "speakers/<unicode_slug:slug>/",
        cached_page(views.speaker_detail, groups=group("archive"), query=PAGED),
        name="speaker",
    ),
    path(
        "sources/<int:pk>/",
        cached_page(views.source_detail, groups=group("archive"), query=PAGED),
        name="source",
    ),
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
]

urlpatterns = [
    URLResolver(LanguagePrefix(), reader_patterns),
    # Pages that are the same in every language, or follow their article's (previews).
    path("preview/<int:pk>/", views.article_preview, name="preview"),
    path("shared/<str:token>/", views.shared_article, name="shared"),
    path(
        "sitemap.xml",
        cached_page(sitemaps.index, groups=group("sitemaps")),
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cached_page(sitemaps.section, groups=group("sitemaps"), query=SITEMAP_PAGED),
        name="sitemap_section",
    ),
    path(
        "news-sitemap.xml",
        cached_page(views.news_sitemap, groups=group("sitemaps")),
        name="news_sitemap",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
]
