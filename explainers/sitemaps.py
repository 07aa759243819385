"""Sitemaps (django.contrib.sitemaps) and the Google News sitemap of the last two days."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, Max, OuterRef, Subquery
from django.urls import reverse
from taggit.models import Tag

from .models import Article, Author

# Django splits a section into pages of `limit` URLs and the index lists every page. Search
# engines accept 50,000 a page; 1,000 keeps each page fast to build uncached at 100,000 articles.
PAGE_SIZE = 1000


class ArticleSitemap(Sitemap):
    limit = PAGE_SIZE

    def items(self):
        return (
            Article.objects.published()
            .order_by("-published_at", "-id")
            .only("slug", "published_at", "updated_at")
        )

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        # One aggregate, rather than Django's default of reading every item.
        return Article.objects.published().aggregate(latest=Max("updated_at"))["latest"]


def latest_published(**filters):
    """The newest change among the published articles matching `filters`, per row."""
    return Subquery(
        Article.objects.published()
        .filter(**filters)
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )


class TagSitemap(Sitemap):
    limit = PAGE_SIZE

    def items(self):
        # EXISTS and a correlated newest-change: no join over every tagged item.
        return (
            Tag.objects.filter(Exists(Article.objects.published().filter(tags=OuterRef("pk"))))
            .annotate(lastmod=latest_published(tags=OuterRef("pk")))
            .order_by("name")
        )

    def location(self, tag):
        return reverse("explainers:tag", kwargs={"slug": tag.slug})

    def lastmod(self, tag):
        return tag.lastmod

    def get_latest_lastmod(self):
        articles = Article.objects.published().filter(tags__isnull=False)
        return articles.aggregate(latest=Max("updated_at"))["latest"]


class AuthorSitemap(Sitemap):
    limit = PAGE_SIZE

    def items(self):
        return (
            Author.objects.filter(
                Exists(Article.objects.published().filter(authors=OuterRef("pk")))
            )
            .annotate(lastmod=latest_published(authors=OuterRef("pk")))
            .order_by("name")
        )

    def lastmod(self, author):
        return author.lastmod

    def get_latest_lastmod(self):
        articles = Article.objects.published().filter(authors__isnull=False)
        return articles.aggregate(latest=Max("updated_at"))["latest"]


SITEMAPS = {"articles": ArticleSitemap, "tags": TagSitemap, "authors": AuthorSitemap}
