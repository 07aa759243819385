"""Sitemaps — the index, its sections and the Google News sitemap of the last two days.

Every entry names its page in the other languages with hreflang links (xhtml:link, as Django's
own i18n sitemaps write them) and x-default: an article its published translations, a tag or
author page the same page in each language that has explainers on it. Tag and author pages have
one section per language (sitemap-tags.xml, sitemap-tags-ru.xml).

Built for an archive of any size (bench/scale.py): a section's pages are ranges of ids — page
`p` holds the records with the `p`-th `limit` ids from the section's first — so the index knows
how many pages a section has from its first and last id (two index lookups, no COUNT over the
archive), and each page reads its thousand rows straight from the primary key. A page may hold
fewer than `limit` entries where ids went to drafts or deleted articles. Each section's lastmod
is one row read down the (status, updated_at) index. The XML is written directly, not through
a template round trip per URL: a page of a thousand articles costs about what the home page
does.
"""

import datetime
import math
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sitemaps.views import x_robots_tag
from django.db.models import Exists, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from taggit.models import Tag, TaggedItem

from .languages import hreflang, reverse_in
from .models import Article, Author, Byline, article_addresses

# Search engines accept 50,000 URLs a page; 1,000 keeps each page fast to build uncached.
PAGE_SIZE = 1000


def newest_change(articles):
    """When the newest of these articles last changed: one row read down the (status,
    updated_at) index rather than an aggregate over the whole archive."""
    return articles.order_by("-updated_at").values_list("updated_at", flat=True).first()


class Section:
    """One section of the sitemap, paged by ranges of its records' ids."""

    limit = PAGE_SIZE
    model = None

    def id_range(self):
        found = self.model.objects.aggregate(first=Min("pk"), last=Max("pk"))
        return found["first"], found["last"]

    def pages(self, id_range=None):
        first, last = id_range or self.id_range()
        return 1 if first is None else max(1, math.ceil((last - first + 1) / self.limit))

    def page_range(self, page):
        """The ids of page `page`, as (first, past the last) (Http404 for a page the section
        has not)."""
        id_range = self.id_range()
        if page > self.pages(id_range):
            raise Http404("No such sitemap page.")
        start = (id_range[0] or 1) + (page - 1) * self.limit
        return start, start + self.limit

    def latest(self):
        return None

    def entries(self, page):
        """[(path, lastmod, [(language, path)…])] of page `page`."""
        raise NotImplementedError


class ArticleSitemap(Section):
    model = Article

    def id_range(self):
        # Of the published articles: MIN and MAX read either end of the primary key.
        found = Article.objects.published().aggregate(first=Min("pk"), last=Max("pk"))
        return found["first"], found["last"]

    def entries(self, page):
        first, end = self.page_range(page)
        ids = Q(pk__gte=first, pk__lt=end)
        # Days, not times, from the database: the address and lastmod need no more, and reading
        # two thousand timestamps costs more than the rest of the page (bench/scale.py).
        days = {"day": TruncDate("published_at"), "changed": TruncDate("updated_at")}
        fields = ("pk", "slug", "day", "changed", "language", "translation_key")
        rows = list(
            Article.objects.published()
            .filter(ids)
            .order_by("pk")
            .annotate(**days)
            .values_list(*fields, "translated_from_id")
        )
        rows, translated = [row[:6] for row in rows], {row[5] for row in rows if row[6]}
        # The stories on this page with several versions: those of its translations, and those
        # of its originals — the translations made from an article in this page's range of ids,
        # one range read down the translated_from index (a lookup per article would cost a
        # thousand probes of the translation-key index). Only their versions are read.
        translated |= set(
            Article.objects.filter(
                translated_from_id__gte=first, translated_from_id__lt=end
            ).values_list("translation_key", flat=True)
        )
        versions = {}
        if translated:
            stories = (
                Article.objects.published()
                .filter(translation_key__in=translated)
                .annotate(day=days["day"])
                .values_list("translation_key", "language", "day", "slug")
            )
            for key, language, day, slug in stories:
                versions.setdefault(key, []).append((language, day, slug))
        address = article_addresses()
        paths = {
            key: [(code, address(code, when, slug)) for code, when, slug in found]
            for key, found in versions.items()
        }
        return [
            (address(language, published_at, slug), updated_at, paths.get(key, []))
            for _, slug, published_at, updated_at, language, key in rows
        ]

    def latest(self):
        return newest_change(Article.objects.published())


class LanguagePagesSitemap(Section):
    """The pages of one language listing explainers by something (a tag, an author): those of
    the things with published explainers in that language, each with its page in the other
    languages where it has some."""

    url_name = None

    def __init__(self, language):
        self.language = language

    def codes(self):
        return [code for code, _ in settings.LANGUAGES]

    def published_in(self, language):
        """The published articles in `language` listing the record of the query around (an
        EXISTS of an EXISTS, so the record is two levels out)."""
        record = OuterRef(OuterRef("pk"))
        return self.shown(Article.objects.published().filter(language=language), record)

    def shown(self, articles, record):
        """`articles` that list `record`."""
        raise NotImplementedError

    def entries(self, page):
        first, end = self.page_range(page)
        # EXISTS and a correlated newest change, for this page's ids only.
        items = (
            self.model.objects.filter(
                Q(pk__gte=first, pk__lt=end), Exists(self.published_in(self.language))
            )
            .annotate(
                lastmod=Subquery(
                    self.published_in(self.language)
                    .order_by("-updated_at")
                    .values("updated_at")[:1]
                ),
                **{f"in_{code}": Exists(self.published_in(code)) for code in self.codes()},
            )
            .order_by("pk")
        )
        return [
            (
                self.address(item, self.language),
                item.lastmod,
                [
                    (code, self.address(item, code))
                    for code in self.codes()
                    if getattr(item, f"in_{code}")
                ],
            )
            for item in items
        ]

    def address(self, item, language):
        return reverse_in(language, f"explainers:{self.url_name}", kwargs={"slug": item.slug})


class TagSitemap(LanguagePagesSitemap):
    model = Tag
    url_name = "tag"

    def shown(self, articles, record):
        return articles.filter(
            Exists(
                TaggedItem.objects.filter(
                    content_type=ContentType.objects.get_for_model(Article),
                    object_id=OuterRef("pk"),
                    tag=record,
                )
            )
        )

    def latest(self):
        tagged = TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article), object_id=OuterRef("pk")
        )
        return newest_change(
            Article.objects.published().filter(Exists(tagged), language=self.language)
        )


class AuthorSitemap(LanguagePagesSitemap):
    model = Author
    url_name = "author"

    def shown(self, articles, record):
        return articles.filter(Exists(Byline.objects.filter(article=OuterRef("pk"), author=record)))

    def latest(self):
        bylined = Byline.objects.filter(article=OuterRef("pk"))
        return newest_change(
            Article.objects.published().filter(Exists(bylined), language=self.language)
        )


def sitemaps():
    """The sections: the articles of every language, and each language's tag and author
    pages (the site's own language's under the names they always had)."""
    sections = {"articles": ArticleSitemap()}
    for code, _ in settings.LANGUAGES:
        suffix = "" if code == settings.NEWSROOM_LANGUAGE else f"-{code}"
        sections[f"tags{suffix}"] = TagSitemap(code)
        sections[f"authors{suffix}"] = AuthorSitemap(code)
    return sections


SITEMAPS = sitemaps()

XML = '<?xml version="1.0" encoding="UTF-8"?>\n'


def xml_response(body, lastmods):
    response = HttpResponse(body, content_type="application/xml")
    known = [when for when in lastmods if when is not None]
    if known and len(known) == len(lastmods):
        response.headers["Last-Modified"] = http_date(max(known).timestamp())
    return response


@x_robots_tag
def index(request):
    """/sitemap.xml: every page of every section, with the section's newest change."""
    base = request.build_absolute_uri("/")[:-1]
    lines, lastmods = [], []
    for name, section in SITEMAPS.items():
        loc = base + reverse("explainers:sitemap_section", kwargs={"section": name})
        lastmod = section.latest()
        lastmods.append(lastmod)
        stamp = f"<lastmod>{timezone.localtime(lastmod).isoformat()}</lastmod>" if lastmod else ""
        for page in range(1, section.pages() + 1):
            address = loc if page == 1 else f"{loc}?p={page}"
            lines.append(f"<sitemap><loc>{escape(address)}</loc>{stamp}</sitemap>")
    body = (
        XML
        + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(lines)
        + "\n</sitemapindex>\n"
    )
    return xml_response(body, lastmods)


@x_robots_tag
def section(request, section):
    """/sitemap-<section>.xml[?p=N]: one page of a section."""
    found = SITEMAPS.get(section)
    if found is None:
        raise Http404("No such sitemap section.")
    try:
        page = int(request.GET.get("p", 1))
    except ValueError:
        raise Http404("That sitemap page is not a number.") from None
    if page < 1:
        raise Http404("No such sitemap page.")
    base = request.build_absolute_uri("/")[:-1]
    parts = []
    for path, lastmod, versions in found.entries(page):
        parts.append(f"<url><loc>{escape(base + path)}</loc>")
        if lastmod:
            parts.append(f"<lastmod>{lastmod_day(lastmod)}</lastmod>")
        if len(versions) > 1:
            for code, address in hreflang(versions):
                parts.append(
                    f'<xhtml:link rel="alternate" hreflang="{code}" '
                    f"href={quoteattr(base + address)}/>"
                )
        parts.append("</url>")
    body = (
        XML
        + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        + 'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
        + "".join(parts)
        + "\n</urlset>\n"
    )
    # No Last-Modified: the entries carry days; the ETag answers conditional requests.
    return HttpResponse(body, content_type="application/xml")


def lastmod_day(when):
    """A URL's lastmod as Django's sitemaps give it: the day, in the site's time zone."""
    if isinstance(when, datetime.datetime):
        when = timezone.localtime(when)
    return when.strftime("%Y-%m-%d")
