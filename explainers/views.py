from collections import defaultdict

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.dateformat import format as format_date
from django.views.decorators.cache import never_cache
from taggit.models import Tag

from .models import Article, Author, ShareLink
from .richtext import interleave


def paginate(request, queryset):
    paginator = Paginator(queryset, settings.NEWSROOM_ARTICLES_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


def home(request):
    page = paginate(request, Article.objects.published().for_listing())
    return render(request, "explainers/home.html", {"page_obj": page})


def article_detail(request, year, month, day, slug):
    article = Article.objects.visible_to(request.user).for_page().filter(slug=slug).first()
    if article is None:
        if Article.objects.filter(slug=slug, status=Article.Status.UNPUBLISHED).exists():
            return render(request, "410.html", status=410)
        raise Http404("No explainer at this address.")
    if article.published_at is None:
        # Only staff get here (a dateless draft): its address is the preview one.
        return redirect(article)
    published_on = timezone.localtime(article.published_at).date()
    if (year, month, day) != (published_on.year, published_on.month, published_on.day):
        return redirect(article, permanent=True)
    return render_article(request, article)


@never_cache
def article_preview(request, pk):
    article = get_object_or_404(Article.objects.visible_to(request.user).for_page(), pk=pk)
    if article.is_published():
        return redirect(article, permanent=True)
    return render_article(request, article)


def shared_article(request, token):
    """An unpublished article shown, read-only, to whoever holds a live share link."""
    link = ShareLink.from_token(token)
    if link is None:
        response = render(request, "explainers/share_link_invalid.html", status=404)
        add_never_cache_headers(response)
        return response
    article = Article.objects.for_page().get(pk=link.article_id)
    expires = format_date(timezone.localtime(link.expires_at), "F j, Y, H:i")
    return render_article(
        request, article, banner=f"Shared preview — not public. This link works until {expires}."
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


def render_article(request, article, banner=None):
    """The explainer page. Uses only what ArticleQuerySet.for_page() prefetched."""
    quotes_by_section = defaultdict(list)
    for quote in article.quotes.all():
        quotes_by_section[quote.section_id].append(quote)
    notes = list(article.notes.all())
    notes_by_section = defaultdict(list)
    for note in notes:
        notes_by_section[note.section_id].append(note)
    sections = list(article.sections.all())
    section_names = {section.pk: section for section in sections}
    banner = banner or preview_banner(article)
    context = {
        "article": article,
        "lead_blocks": interleave(article.lead, quotes_by_section[None]),
        "sections": [
            (
                section,
                interleave(section.answer, quotes_by_section[section.pk]),
                notes_by_section[section.pk],
            )
            for section in sections
        ],
        "notes": [(note, section_names.get(note.section_id)) for note in notes],
        "last_updated": article.last_updated(),
        "sources": article.cited_sources(),
        "banner": banner,
    }
    response = render(request, "explainers/article_detail.html", context)
    if banner:
        response["X-Robots-Tag"] = "noindex"
        add_never_cache_headers(response)
    return response


def author_detail(request, slug):
    author = get_object_or_404(Author, slug=slug)
    page = paginate(request, Article.objects.published().filter(authors=author).for_listing())
    return render(request, "explainers/author_detail.html", {"author": author, "page_obj": page})


def tag_detail(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = paginate(request, Article.objects.published().filter(tags=tag).for_listing())
    return render(request, "explainers/tag_detail.html", {"tag": tag, "page_obj": page})
