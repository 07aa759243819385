"""Sitemaps (django.contrib.sitemaps) and the Google News sitemap of the last two days.

Every entry names its page in the other languages with hreflang links (xhtml:link, as Django's
own i18n sitemaps write them) and x-default: an article its published translations, a tag or
author page the same page in each language that has explainers on it. Tag and author pages have
one section per language (sitemap-tags.xml, sitemap-tags-ru.xml), so that each stays a
database-paginated query rather than a list of every item in every language.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef, Subquery
from taggit.models import Tag, TaggedItem

from .languages import hreflang, reverse_in
from .models import Article, Author, Byline

# Django splits a section into pages of `limit` URLs and the index lists every page. Search
# engines accept 50,000 a page; 1,000 keeps each page fast to build uncached at 100,000 articles.
PAGE_SIZE = 1000


def newest_change(articles):
    """When the newest of these articles last changed: one row read down the (status,
    updated_at) index rather than an aggregate over the whole archive."""
    return articles.order_by("-updated_at").values_list("updated_at", flat=True).first()


class AlternatesSitemap(Sitemap):
    """A sitemap whose entries carry their hreflang alternates: `alternates_of(items)` gives,
    for a page of items, each item's [(language, path)] — read in one go, not per item."""

    limit = PAGE_SIZE

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page, site, protocol)
        base = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        links = self.alternates_of([url["item"] for url in urls])
        for url in urls:
            url["alternates"] = [
                {"lang_code": code, "location": base + path}
                for code, path in hreflang(links.get(url["item"].pk, []))
            ]
        return urls

    def alternates_of(self, items):
        return {}


class ArticleSitemap(AlternatesSitemap):
    def items(self):
        return (
            Article.objects.published()
            .order_by("-published_at", "-id")
            .only("slug", "published_at", "updated_at", "language", "translation_key")
        )

    def alternates_of(self, articles):
        """Each article's published versions, itself included: one query for the page."""
        by_key = {}
        versions = Article.objects.published().filter(
            translation_key__in={article.translation_key for article in articles}
        )
        for version in versions.only("slug", "published_at", "language", "translation_key"):
            by_key.setdefault(version.translation_key, []).append(
                (version.language, version.get_absolute_url())
            )
        return {article.pk: by_key.get(article.translation_key, []) for article in articles}

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


class LanguagePagesSitemap(AlternatesSitemap):
    """The pages of one language listing explainers by something (a tag, an author): those of
    the things with published explainers in that language, each with its page in the other
    languages where it has some. `relation` is the Article lookup naming the thing."""

    model = None
    relation = None
    url_name = None

    def __init__(self, language):
        self.language = language

    def codes(self):
        return [code for code, _ in settings.LANGUAGES]

    def published_in(self, language):
        return Article.objects.published().filter(
            language=language, **{self.relation: OuterRef("pk")}
        )

    def items(self):
        # EXISTS and a correlated newest-change: no join over every tagged item.
        return (
            self.model.objects.filter(Exists(self.published_in(self.language)))
            .annotate(
                lastmod=latest_published(language=self.language, **{self.relation: OuterRef("pk")}),
                **{f"in_{code}": Exists(self.published_in(code)) for code in self.codes()},
            )
            .order_by("name")
        )

    def location(self, item):
        return self.address(item, self.language)

    def address(self, item, language):
        return reverse_in(language, f"explainers:{self.url_name}", kwargs={"slug": item.slug})

    def lastmod(self, item):
        return item.lastmod

    def alternates_of(self, items):
        return {
            item.pk: [
                (code, self.address(item, code))
                for code in self.codes()
                if getattr(item, f"in_{code}")
            ]
            for item in items
        }


class TagSitemap(LanguagePagesSitemap):
    model = Tag
    relation = "tags"
    url_name = "tag"

    def get_latest_lastmod(self):
        tagged = TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article), object_id=OuterRef("pk")
        )
        return newest_change(
            Article.objects.published().filter(Exists(tagged), language=self.language)
        )


class AuthorSitemap(LanguagePagesSitemap):
    model = Author
    relation = "authors"
    url_name = "author"

    def get_latest_lastmod(self):
        bylined = Byline.objects.filter(article=OuterRef("pk"))
        return newest_change(
            Article.objects.published().filter(Exists(bylined), language=self.language)
        )


def sitemaps():
    """The sections: the articles of every language, and each language's tag and author
    pages (the site's own language's under the names they always had)."""
    sections = {"articles": ArticleSitemap}
    for code, _ in settings.LANGUAGES:
        suffix = "" if code == settings.NEWSROOM_LANGUAGE else f"-{code}"
        sections[f"tags{suffix}"] = TagSitemap(code)
        sections[f"authors{suffix}"] = AuthorSitemap(code)
    return sections


SITEMAPS = sitemaps()
