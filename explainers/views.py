import datetime
from collections import defaultdict

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.dateformat import format as format_date
from django.views.decorators.cache import never_cache
from django.views.generic.dates import MonthArchiveView
from taggit.models import Tag, TaggedItem

from . import document as page_document
from . import search as search_engine
from .metadata import article_json_ld, json_ld, publisher
from .models import Article, Author, QuestionSection, Quote, ShareLink, Source, Speaker
from .pagecache import depends_on


def paginate(request, queryset, per_page=None):
    paginator = Paginator(queryset, per_page or settings.NEWSROOM_ARTICLES_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


def feed_links(rss, atom, label):
    return {"rss": rss, "atom": atom, "label": label}


def home(request):
    page = paginate(request, Article.objects.published().for_listing())
    website = {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": settings.NEWSROOM_SITE_NAME,
        "url": request.build_absolute_uri("/"),
        "description": settings.NEWSROOM_SITE_DESCRIPTION,
        "publisher": publisher(request),
        "potentialAction": {
            "@type": "SearchAction",
            "target": request.build_absolute_uri(reverse("explainers:search")) + "?q={query}",
            "query-input": "required name=query",
        },
    }
    context = {
        "page_obj": page,
        "feeds": feed_links(
            reverse("explainers:feed_rss"), reverse("explainers:feed_atom"), "all explainers"
        ),
        "json_ld": json_ld(website),
    }
    return render(request, "explainers/home.html", context)


def article_detail(request, year, month, day, slug):
    try:
        article = Article.objects.visible_to(request.user).for_reading().get(slug=slug)
    except Article.DoesNotExist:
        if Article.objects.filter(slug=slug, status=Article.Status.UNPUBLISHED).exists():
            return render(request, "410.html", status=410)
        raise Http404("No explainer at this address.") from None
    if article.published_at is None:
        # Only staff get here (a dateless draft): its address is the preview one.
        return redirect(article)
    published_on = timezone.localtime(article.published_at).date()
    if (year, month, day) != (published_on.year, published_on.month, published_on.day):
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


def preview_banner(article):
    """What staff are told above an article readers cannot see (None for a public one)."""
    if article.is_published():
        return None
    if article.status == Article.Status.PUBLISHED:
        when = format_date(timezone.localtime(article.published_at), "F j, Y, H:i")
        return f"Scheduled for {when} — not public yet"
    if article.status == Article.Status.UNPUBLISHED:
        return "Unpublished — taken down, not public"
    return f"{article.get_status_display()} — not public"


# Published explainers sharing the most tags with one article, newest first. Raw SQL because
# this is the article page's hot path: the ORM took 0.6 ms to compile the join-and-count on every
# request (a quarter of an uncached page), the SQL runs in under 0.1. The status and date test is
# ArticleQuerySet.published() written out; test_related_explainers_* covers drafts and schedules.
RELATED_SQL = """
    SELECT a.id, a.headline, a.slug, a.published_at
    FROM {article} a
    JOIN {tagged} t ON t.object_id = a.id AND t.content_type_id = %s
    WHERE t.tag_id IN ({tags}) AND a.status = %s AND a.published_at <= %s AND a.id <> %s
    GROUP BY a.id, a.headline, a.slug, a.published_at
    ORDER BY COUNT(*) DESC, a.published_at DESC, a.id DESC
    LIMIT %s
"""


def related_explainers(article, tag_ids, limit=3):
    if not tag_ids:
        return []
    sql = RELATED_SQL.format(
        article=Article._meta.db_table,
        tagged=TaggedItem._meta.db_table,
        tags=", ".join(["%s"] * len(tag_ids)),
    )
    params = [
        ContentType.objects.get_for_model(Article).pk,
        *tag_ids,
        Article.Status.PUBLISHED,
        timezone.now(),
        article.pk,
        limit,
    ]
    return list(Article.objects.raw(sql, params))


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
    if document is None:
        document = page_document.build(article)
    # The related list changes with the articles sharing these tags.
    depends_on(request, *(f"tag:{tag['slug']}" for tag in document.tags))
    banner = banner or preview_banner(article)
    last_updated = document.last_updated
    page_url = request.build_absolute_uri(article.get_absolute_url())
    context = {
        "article": article,
        "document": document,
        "page_url": page_url,
        "canonical_url": article.original_url or page_url,
        "last_updated": last_updated,
        "related": related_explainers(article, [tag["id"] for tag in document.tags]),
        "banner": banner,
        "social_image": social_image(request, article.hero_photo),
        "json_ld": article_json_ld(request, article, document, page_url, last_updated),
    }
    response = render(request, "explainers/article_detail.html", context)
    if banner:
        response["X-Robots-Tag"] = "noindex"
        add_never_cache_headers(response)
    return response


def author_detail(request, slug):
    author = get_object_or_404(Author, slug=slug)
    page = paginate(request, Article.objects.published().filter(authors=author).for_listing())
    feeds = feed_links(
        reverse("explainers:author_feed_rss", kwargs={"slug": slug}),
        reverse("explainers:author_feed_atom", kwargs={"slug": slug}),
        f"explainers by {author.name}",
    )
    context = {"author": author, "page_obj": page, "feeds": feeds}
    return render(request, "explainers/author_detail.html", context)


def tag_detail(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = paginate(request, Article.objects.published().filter(tags=tag).for_listing())
    feeds = feed_links(
        reverse("explainers:tag_feed_rss", kwargs={"slug": slug}),
        reverse("explainers:tag_feed_atom", kwargs={"slug": slug}),
        f"explainers about {tag.name}",
    )
    return render(
        request, "explainers/tag_detail.html", {"tag": tag, "page_obj": page, "feeds": feeds}
    )


def archive_index(request):
    months = Article.objects.published().dates("published_at", "month", order="DESC")
    return render(request, "explainers/archive_index.html", {"months": months})


class MonthArchive(MonthArchiveView):
    """Published explainers of one month; a month with none is a 404."""

    date_field = "published_at"
    month_format = "%m"
    paginate_by = settings.NEWSROOM_ARTICLES_PER_PAGE
    allow_empty = False
    template_name = "explainers/month_archive.html"

    def get_queryset(self):
        return Article.objects.published().for_listing()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["feeds"] = feed_links(
            reverse("explainers:feed_rss"), reverse("explainers:feed_atom"), "all explainers"
        )
        return context


def search(request):
    raw = request.GET.get("q", "")
    query = search_engine.clean_query(raw)
    hits = search_engine.search(query) if query else []
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
        Quote.objects.filter(speaker=speaker, article__in=Article.objects.published())
        .select_related("article", "section", "source")
        # Reading order within an article: the lead's quotes first, then question by question.
        .order_by(
            "-article__published_at", F("section__position").asc(nulls_first=True), "position"
        )
    )
    context = {"speaker": speaker, "page_obj": paginate(request, quotes, per_page=30)}
    return render(request, "explainers/speaker_detail.html", context)


def source_detail(request, pk):
    source = get_object_or_404(Source, pk=pk)
    published = Article.objects.published()
    sections = (
        QuestionSection.objects.filter(
            Q(sources=source) | Q(quotes__source=source), article__in=published
        )
        .distinct()
        .order_by("position")
    )
    lead_citing = published.filter(
        Q(lead_sources=source) | Q(quotes__source=source, quotes__section=None)
    ).values_list("pk", flat=True)
    articles = published.filter(Q(pk__in=lead_citing) | Q(sections__in=sections)).distinct()
    questions = defaultdict(list)
    for section in sections:
        questions[section.article_id].append(section)
    citing = [
        (article, article.pk in set(lead_citing), questions[article.pk]) for article in articles
    ]
    return render(request, "explainers/source_detail.html", {"source": source, "citing": citing})


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /shared/",
        "Disallow: /search/",
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
        "language": settings.NEWSROOM_LANGUAGE,
        "base": request.build_absolute_uri("/")[:-1],
    }
    return render(request, "explainers/news_sitemap.xml", context, content_type="application/xml")
