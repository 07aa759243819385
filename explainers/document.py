"""
The article page's stored document: its body and metadata rendered when the article changes, not
on every request.

`build(article)` renders it from an article fetched with `Article.objects.for_page()`;
`rebuild(ids)` stores fresh ones. Every write to an article, its parts, or a speaker, source,
author, photo or tag it shows goes through the change pipeline (explainers.changes), which
discards the documents concerned at once and rebuilds them when the write commits — before the
page cache is invalidated, so a page cached afterwards is never built from an old document (a
change shown on many articles leaves the rebuild to background batches: the documents are gone,
so a reader renders a fresh one on demand). Previews of unsaved changes never use
the stored document: they build one from the state in hand.
"""

from collections import defaultdict

from django.db import transaction
from django.template.loader import render_to_string

from .api import data as api_data
from .languages import in_language
from .metadata import content_json_ld
from .models import Article, ArticleDocument, localize
from .richtext import interleave


def build(article):
    """An unsaved ArticleDocument for an article fetched with for_page(): all of it — body,
    JSON-LD, the API's form — in the article's language (its words, dates and the addresses
    it links to), whoever builds it, wherever."""
    with in_language(article.language):
        return build_in_language(article)


def build_in_language(article):
    quotes_by_section = defaultdict(list)
    for quote in article.quotes.all():
        quotes_by_section[quote.section_id].append(quote)
    notes = list(article.notes.all())
    notes_by_section = defaultdict(list)
    for note in notes:
        notes_by_section[note.section_id].append(note)
    sections = list(article.sections.all())
    by_pk = {section.pk: section for section in sections}
    tags = list(article.tags.all())
    citations = article.citations()
    sources = article.cited_sources(citations)
    # The names of speakers, sources and tags as the article's language writes them.
    quotes = list(article.quotes.all())
    localize(
        [*tags, *sources, *(q.speaker for q in quotes), *(q.source for q in quotes)],
        article.language,
    )
    last_updated = article.last_updated()
    body = render_to_string(
        "explainers/_article_body.html",
        {
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
            "notes": [(note, by_pk.get(note.section_id)) for note in notes],
            "sources": sources,
            "tags": tags,
            "last_updated": last_updated,
        },
    )
    return ArticleDocument(
        article=article,
        body=body,
        tags=[{"id": tag.pk, "name": tag.name, "slug": tag.slug} for tag in tags],
        json_ld=content_json_ld(
            article,
            [(s, quotes_by_section[s.pk]) for s in sections],
            quotes_by_section[None],
            notes,
            sources,
        ),
        last_updated=last_updated,
        translations=article.version_list() if article.pk else [],
        api=api_data.build(
            article, sections, article.quotes.all(), notes, tags, sources, citations, last_updated
        ),
    )


def rebuild(article_ids):
    """Store fresh documents for these articles (those that still exist).

    The articles' rows are locked while their documents are read and written, so two rebuilds
    of one article — or a rebuild and an editor's save, which locks the row too — run one after
    the other and the last to finish always read the newest data.
    """
    ids = sorted(set(article_ids))
    if not ids:
        return
    fields = ["body", "tags", "json_ld", "api", "translations", "last_updated", "built_at"]
    with transaction.atomic():
        list(Article.objects.filter(pk__in=ids).order_by("pk").select_for_update().values("pk"))
        documents = [build(article) for article in Article.objects.for_page().filter(pk__in=ids)]
        ArticleDocument.objects.bulk_create(
            documents, update_conflicts=True, unique_fields=["article"], update_fields=fields
        )


def stored(article, api=False):
    """The stored document of an article fetched with for_reading() (for_api() with `api`),
    rebuilt first if a change discarded it (or it was never built, or, for the API, built before
    the API was)."""
    try:
        if not api or article.document.api:
            return article.document
    except ArticleDocument.DoesNotExist:
        pass
    rebuild([article.pk])
    documents = ArticleDocument.objects.all() if api else ArticleDocument.objects.defer("api")
    return documents.get(article_id=article.pk)


def discard(article_ids):
    """Delete these articles' stored documents inside a write's transaction, so nothing reads an
    old one: a reader that finds none rebuilds it, waiting for the writer's row lock. The change
    pipeline (explainers.changes) rebuilds them once the write commits."""
    ArticleDocument.objects.filter(article_id__in=article_ids).delete()
