import datetime
from collections import defaultdict
from urllib.parse import unquote

from django.conf import settings
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.dateformat import format as format_date
from django.views.decorators.cache import never_cache
from django.views.generic.dates import MonthArchiveView
from taggit.models import Tag

from . import document as page_document
from . import search as search_engine
from .context_processors import page_alternates
from .languages import hreflang, in_language, language_in_itself, reader_language, reverse_in
from .metadata import article_json_ld, json_ld, publisher
from .models import (
    Article,
    Author,
    QuestionSection,
    Quote,
    ShareLink,
    Source,
    Speaker,
    localize,
)
from .pagecache import depends_on


def paginate(request, items, per_page=None):
    """The page of `items` that the `page` parameter names (none: the first). One that is not a
    number or is past the last is a 404, never quietly another page: each address is one page,
    and only real pages are ever cached.

    A queryset is paged without counting it (ListPage): a list of the archive costs the same at
    100,000 articles as at 1,000. A list (search hits, already bounded) uses Django's
    Paginator."""
    per_page = per_page or settings.NEWSROOM_ARTICLES_PER_PAGE
    try:
        if isinstance(items, QuerySet):
            return ListPage.of(items, request.GET.get("page", 1), per_page)
        return Paginator(items, per_page).page(request.GET.get("page", 1))
    except InvalidPage:
        raise Http404("No such page.") from None


class ListPage(Page):
    """One page of a queryset, found without a COUNT over it: the ids of the page and one more
    (to know whether an older page follows) are read first — from an index alone where the
    database can (PostgreSQL's index-only scans) — and then the page's rows by id. So the page
    knows its number and its neighbours, not how many pages there are ("Page 3", not "Page 3 of
    8,334"). Duck-types what the templates use of Django's Page."""

    def __init__(self, object_list, number, has_next):
        self.object_list = object_list
        self.number = number
        self._has_next = has_next
        self.paginator = None

    @classmethod
    def of(cls, queryset, number, per_page):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise InvalidPage("That page number is not a number.") from None
        if number < 1 or number > MAX_PAGE:
            raise InvalidPage("No such page.")
        start = (number - 1) * per_page
        ids = list(
            queryset.prefetch_related(None).values_list("pk", flat=True)[
                start : start + per_page + 1
            ]
        )
        if not ids and number > 1:
            raise InvalidPage("That page is past the last one.")
        rows = list(queryset.filter(pk__in=ids[:per_page])) if ids else []
        return cls(rows, number, len(ids) > per_page)

    def has_next(self):
        return self._has_next

    def has_previous(self):
        return self.number > 1

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1


# Deeper than any archive's reader goes by "Older" links; a larger number is a 404 without a
# query (each page reads the ids of those before it).
MAX_PAGE = 10_000


def twins(request, articles):
    """The page's hreflang links to its twins in the languages that have explainers among
    `articles` (published, of every language): worked out when the template shows them."""
    return lambda: page_alternates(request, articles)


def feed_links(rss, atom, label):
    return {"rss": rss, "atom": atom, "label": label}


def home(request):
    """The latest explainers in the address's language (the site's own at /, Russian at
    /ru/), in that language's words."""
    page = paginate(request, Article.objects.listed().for_listing())
    website = {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": settings.NEWSROOM_SITE_NAME,
        "url": request.build_absolute_uri(reverse("explainers:home")),
        "description": translation.gettext(settings.NEWSROOM_SITE_DESCRIPTION),
        "inLanguage": reader_language(),
        "publisher": publisher(request),
        "potentialAction": {
            "@type": "SearchAction",
            "target": request.build_absolute_uri(reverse("explainers:search")) + "?q={query}",
            "query-input": "required name=query",
        },
    }
    context = {
        "page_obj": page,
        "feeds": site_feeds(),
        "json_ld": json_ld(website),
    }
    return render(request, "explainers/home.html", context)


def site_feeds():
    return feed_links(
        reverse("explainers:feed_rss"),
        reverse("explainers:feed_atom"),
        translation.gettext("all explainers"),
    )


def article_detail(request, year, month, day, slug):
    try:
        article = Article.objects.visible_to(request.user).for_reading().get(slug=slug)
    except Article.DoesNotExist:
        if gone(Article.objects.filter(slug=slug)):
            return render(request, "410.html", status=410)
        raise Http404("No explainer at this address.") from None
    if article.published_at is None:
        # Only staff get here (a dateless draft): its address is the preview one.
        return redirect(article)
    # One address per article: another date, or the same date spelled otherwise (/12/01/ for
    # /12/1/), is sent to the one get_absolute_url() makes. Only that one answers 200, so only
    # it is ever cached.
    if request.path != unquote(article.get_absolute_url()):
        return redirect(article, permanent=True)
    return render_article(request, article, document=page_document.stored(article))


@never_cache
def article_preview(request, pk):
    article = get_object_or_404(Article.objects.visible_to(request.user).for_reading(), pk=pk)
    if article.is_published():
        return redirect(article, permanent=True)
    return render_article(request, article, document=page_document.stored(article))


def shared_article(request, token):
    """An unpublished article shown, read-only, to whoever holds a live share link."""
    link = ShareLink.from_token(token)
    if link is None:
        response = render(request, "explainers/share_link_invalid.html", status=404)
        add_never_cache_headers(response)
        return response
    article = Article.objects.for_reading().get(pk=link.article_id)
    expires = format_date(timezone.localtime(link.expires_at), "F j, Y, H:i")
    return render_article(
        request,
        article,
        banner=f"Shared preview — not public. This link works until {expires}.",
        document=page_document.stored(article),
    )


def gone(articles):
    """Whether any of these articles was taken down: unpublished, or past its expiry time."""
    return (
        articles.filter(status=Article.Status.UNPUBLISHED).exists() or articles.expired().exists()
    )


def preview_banner(article):
    """What staff are told above an article readers cannot see (None for a public one)."""
    if article.is_published():
        return None
    if article.is_expired():
        when = format_date(timezone.localtime(article.expires_at), "F j, Y, H:i")
        return f"Taken down at {when} (its expiry time) — not public"
    if article.status == Article.Status.PUBLISHED:
        when = format_date(timezone.localtime(article.published_at), "F j, Y, H:i")
        return f"Scheduled for {when} — not public yet"
    if article.status == Article.Status.UNPUBLISHED:
        return "Unpublished — taken down, not public"
    return f"{article.get_status_display()} — not public"


def social_image(request, photo):
    """The link-preview image (1200 × 630) with an absolute URL, or None."""
    if photo is None:
        return None
    image = photo.social
    return {**image, "url": request.build_absolute_uri(image["url"])}


def render_article(request, article, banner=None, document=None):
    """The explainer page, from the article's stored page document (one query with the
    article) plus the related explainers. Without a document — a preview of unsaved changes —
    one is built from an article fetched with ArticleQuerySet.for_page()."""
    # In the article's language: its page's links, words and dates are that language's.
    with in_language(article.language):
        return article_response(request, article, banner, document)


def article_response(request, article, banner, document):
    if document is None:
        document = page_document.build(article)
    # The related list changes with the articles sharing these tags.
    depends_on(request, *(f"tag:{tag['slug']}" for tag in document.tags))
    banner = banner or preview_banner(article)
    last_updated = document.last_updated
    page_url = request.build_absolute_uri(article.get_absolute_url())
    versions = published_versions(document.translations)
    context = {
        "article": article,
        "document": document,
        "page_url": page_url,
        "canonical_url": article.original_url or page_url,
        "last_updated": last_updated,
        "related": Article.objects.related_to(
            article.pk, [tag["id"] for tag in document.tags], language=article.language
        ),
        "banner": banner,
        "social_image": social_image(request, article.hero_photo),
        "json_ld": article_json_ld(request, article, document, page_url, last_updated, versions),
        "versions": versions,
        "alternates": alternates(request, article, page_url, versions) if not banner else [],
    }
    response = render(request, "explainers/article_detail.html", context)
    if banner:
        response["X-Robots-Tag"] = "noindex"
        add_never_cache_headers(response)
    return response


def published_versions(translations):
    """The story's other language versions readers can open now, from the page document's
    list (a scheduled one appears at its time: the cached page expires then)."""
    if not translations:
        return []
    now = timezone.now()
    return [
        {**version, "name": language_in_itself(version["language"])}
        for version in translations
        if version["status"] == Article.Status.PUBLISHED
        and version["published_at"]
        and datetime.datetime.fromisoformat(version["published_at"]) <= now
    ]


def alternates(request, article, page_url, versions):
    """An article's hreflang links: every published version, this one included, and x-default
    (the version in the site's own language). None when the story has only one language."""
    links = [(article.language, page_url)]
    links += [(v["language"], request.build_absolute_uri(v["url"])) for v in versions]
    return hreflang(links)


def author_detail(request, slug):
    author = get_object_or_404(Author, slug=slug)
    page = paginate(request, Article.objects.listed().by_author(author).for_listing())
    feeds = feed_links(
        reverse("explainers:author_feed_rss", kwargs={"slug": slug}),
        reverse("explainers:author_feed_atom", kwargs={"slug": slug}),
        translation.gettext("explainers by %(author)s") % {"author": author.name},
    )
    context = {
        "author": author,
        "page_obj": page,
        "feeds": feeds,
        "alternates": twins(request, Article.objects.published().by_author(author)),
    }
    return render(request, "explainers/author_detail.html", context)


def tag_detail(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    localize([tag], reader_language())
    page = paginate(request, Article.objects.listed().tagged(tag).for_listing())
    feeds = feed_links(
        reverse("explainers:tag_feed_rss", kwargs={"slug": slug}),
        reverse("explainers:tag_feed_atom", kwargs={"slug": slug}),
        translation.gettext("explainers about %(topic)s") % {"topic": tag.name},
    )
    context = {
        "tag": tag,
        "page_obj": page,
        "feeds": feeds,
        "alternates": twins(request, Article.objects.published().tagged(tag)),
    }
    return render(request, "explainers/tag_detail.html", context)


def archive_index(request):
    months = Article.objects.listed().months()
    return render(request, "explainers/archive_index.html", {"months": months})


class MonthArchive(MonthArchiveView):
    """Published explainers of one month; a month with none is a 404."""

    date_field = "published_at"
    month_format = "%m"
    paginate_by = settings.NEWSROOM_ARTICLES_PER_PAGE
    allow_empty = False
    template_name = "explainers/month_archive.html"

    def get(self, request, *args, year, month, **kwargs):
        # One address per month, as reverse() spells it: /archive/2026/01/ goes to
        # /archive/2026/1/, so only that one answers 200 and is ever cached.
        canonical = reverse("explainers:month", kwargs={"year": year, "month": month})
        if request.path != unquote(canonical):
            query = request.META.get("QUERY_STRING")
            return redirect(f"{canonical}?{query}" if query else canonical, permanent=True)
        return super().get(request, *args, year=year, month=month, **kwargs)

    def get_queryset(self):
        return Article.objects.listed().for_listing()

    def paginate_queryset(self, queryset, page_size):
        # The site's one page rule (no "?page=last", a bad page is a 404): see paginate().
        page = paginate(self.request, queryset, page_size)
        return page.paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["feeds"] = site_feeds()
        month = context["month"]
        context["alternates"] = twins(
            self.request,
            Article.objects.published().filter(
                published_at__year=month.year, published_at__month=month.month
            ),
        )
        return context


def search(request):
    raw = request.GET.get("q", "")
    query = search_engine.clean_query(raw)
    hits = search_engine.search(query, reader_language()) if query else []
    context = {
        "query": query,
        "shortened": len(" ".join(raw.split())) > len(query),
        "page_obj": paginate(request, hits),
        "total": len(hits),
    }
    return render(request, "explainers/search.html", context)


def speaker_detail(request, slug):
    speaker = get_object_or_404(Speaker, slug=slug)
    quotes = (
        Quote.objects.filter(speaker=speaker, article__in=Article.objects.listed())
        .select_related("article", "section", "source")
        # Reading order within an article: the lead's quotes first, then question by question.
        .order_by(
            "-article__published_at", F("section__position").asc(nulls_first=True), "position"
        )
    )
    page = paginate(request, quotes, per_page=30)
    localize([speaker, *(quote.source for quote in page)], reader_language())
    context = {
        "speaker": speaker,
        "page_obj": page,
        "alternates": twins(request, Article.objects.published().filter(quotes__speaker=speaker)),
    }
    return render(request, "explainers/speaker_detail.html", context)


def source_detail(request, pk):
    """The published explainers citing a source, newest first, each with where it cites it: the
    introduction and the answers (by a link or a quote reported by the source)."""
    source = get_object_or_404(Source, pk=pk)
    localize([source], reader_language())
    published = Article.objects.listed()
    in_lead = Q(lead_sources=source) | Q(quotes__source=source, quotes__section=None)
    citing_sections = QuestionSection.objects.filter(Q(sources=source) | Q(quotes__source=source))
    citing_anywhere = Q(pk__in=Article.objects.filter(in_lead).values("pk")) | Q(
        pk__in=citing_sections.values("article_id")
    )
    articles = published.filter(citing_anywhere).only(
        "headline", "slug", "published_at", "language"
    )
    page = paginate(request, articles, per_page=30)
    on_page = [article.pk for article in page]
    lead_citing = set(published.filter(in_lead, pk__in=on_page).values_list("pk", flat=True))
    questions = defaultdict(list)
    for section in (
        citing_sections.filter(article_id__in=on_page)
        .distinct()
        .order_by("position")
        .only("article_id", "question", "anchor")
    ):
        questions[section.article_id].append(section)
    context = {
        "source": source,
        "page_obj": page,
        "citing": [(article, article.pk in lead_citing, questions[article.pk]) for article in page],
        "alternates": twins(request, Article.objects.published().filter(citing_anywhere)),
    }
    return render(request, "explainers/source_detail.html", context)


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /shared/",
        # Search results, in every language.
        *(f"Disallow: {reverse_in(code, 'explainers:search')}" for code, _ in settings.LANGUAGES),
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('explainers:sitemap'))}",
        f"Sitemap: {request.build_absolute_uri(reverse('explainers:news_sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def news_sitemap(request):
    """Google News sitemap: the explainers published in the last two days (at most 1,000)."""
    since = timezone.now() - datetime.timedelta(days=2)
    articles = Article.objects.published().filter(published_at__gte=since)[:1000]
    context = {
        "articles": articles,
        "publication": settings.NEWSROOM_SITE_NAME,
        "base": request.build_absolute_uri("/")[:-1],
    }
    return render(request, "explainers/news_sitemap.xml", context, content_type="application/xml")
