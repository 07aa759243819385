"""Sitemaps (django.contrib.sitemaps) and the Google News sitemap of the last two days."""

from django.contrib.contenttypes.models import ContentType
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from taggit.models import Tag, TaggedItem

from .models import Article, Author, Byline

# Django splits a section into pages of `limit` URLs and the index lists every page. Search
# engines accept 50,000 a page; 1,000 keeps each page fast to build uncached at 100,000 articles.
PAGE_SIZE = 1000


def newest_change(articles):
    """When the newest of these articles last changed: one row read down the (status,
    updated_at) index rather than an aggregate over the whole archive."""
    return articles.order_by("-updated_at").values_list("updated_at", flat=True).first()


class ArticleSitemap(Sitemap):
    limit = PAGE_SIZE

    def items(self):
        return (
            Article.objects.published()
            .order_by("-published_at", "-id")
            .only("slug", "published_at", "updated_at", "language")
        )

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        # Rather than Django's default of reading every item.
        return newest_change(Article.objects.published())


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
        tagged = TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article), object_id=OuterRef("pk")
        )
        return newest_change(Article.objects.published().filter(Exists(tagged)))


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
        bylined = Byline.objects.filter(article=OuterRef("pk"))
        return newest_change(Article.objects.published().filter(Exists(bylined)))


SITEMAPS = {"articles": ArticleSitemap, "tags": TagSitemap, "authors": AuthorSitemap}
