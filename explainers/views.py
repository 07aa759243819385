from collections import defaultdict

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from taggit.models import Tag

from .models import Article, Author
from .richtext import interleave


def paginate(request, queryset):
    paginator = Paginator(queryset, settings.NEWSROOM_ARTICLES_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


def home(request):
    page = paginate(request, Article.objects.published().for_listing())
    return render(request, "explainers/home.html", {"page_obj": page})


def article_detail(request, year, month, day, slug):
    article = get_object_or_404(Article.objects.visible_to(request.user).for_page(), slug=slug)
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


def render_article(request, article):
    """The explainer page. Uses only what ArticleQuerySet.for_page() prefetched."""
    quotes_by_section = defaultdict(list)
    for quote in article.quotes.all():
        quotes_by_section[quote.section_id].append(quote)
    context = {
        "article": article,
        "lead_blocks": interleave(article.lead, quotes_by_section[None]),
        "sections": [
            (section, interleave(section.answer, quotes_by_section[section.pk]))
            for section in article.sections.all()
        ],
        "sources": article.cited_sources(),
        "is_preview": not article.is_published(),
    }
    response = render(request, "explainers/article_detail.html", context)
    if context["is_preview"]:
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
