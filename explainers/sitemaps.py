"""Sitemaps (django.contrib.sitemaps) and the Google News sitemap of the last two days."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse
from taggit.models import Tag

from .models import Article, Author


class ArticleSitemap(Sitemap):
    # Django splits a section into pages of `limit` URLs; the index lists every page.
    limit = 50000

    def items(self):
        return Article.objects.published().order_by("-published_at", "-id")

    def lastmod(self, article):
        return article.updated_at


class TagSitemap(Sitemap):
    limit = 50000

    def items(self):
        return (
            Tag.objects.filter(article__in=Article.objects.published())
            .annotate(lastmod=Max("article__updated_at"))
            .order_by("name")
        )

    def location(self, tag):
        return reverse("explainers:tag", kwargs={"slug": tag.slug})

    def lastmod(self, tag):
        return tag.lastmod


class AuthorSitemap(Sitemap):
    limit = 50000

    def items(self):
        return (
            Author.objects.filter(articles__in=Article.objects.published())
            .annotate(lastmod=Max("articles__updated_at"))
            .order_by("name")
        )

    def lastmod(self, author):
        return author.lastmod


SITEMAPS = {"articles": ArticleSitemap, "tags": TagSitemap, "authors": AuthorSitemap}
