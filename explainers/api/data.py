"""The article as the content API gives it: built with its page document (explainers.document)
from an article fetched with for_page(), stored in ArticleDocument.api with site-relative
addresses; the view makes them absolute (absolute())."""

import re

from django.urls import reverse

from ..richtext import html_to_text

PARAGRAPH_END = re.compile(r"</(p|li|h[1-6]|blockquote)>", re.I)


def text_of(html):
    """Plain text of sanitised HTML: a paragraph per line, separated by an empty one."""
    parts = PARAGRAPH_END.split(html or "")[::2]
    return "\n\n".join(text for text in (html_to_text(part) for part in parts) if text)


def rich(html):
    return {"html": html or "", "text": text_of(html)}


def when(moment):
    return moment.isoformat() if moment else None


def person(record, name="name"):
    if record is None:
        return None
    return {
        "id": record.pk,
        "name": getattr(record, name),
        "slug": record.slug,
        "url": record.get_absolute_url(),
    }


def tag_of(tag):
    return {
        "name": tag.name,
        "slug": tag.slug,
        "url": reverse("explainers:tag", kwargs={"slug": tag.slug}),
    }


def source(record):
    if record is None:
        return None
    return {
        "id": record.pk,
        "name": record.name,
        "kind": record.kind,
        "url": record.url or None,
        "publisher": record.publisher,
        "site_url": reverse("explainers:source", kwargs={"pk": record.pk}),
        "api_url": reverse("api:source-detail", kwargs={"pk": record.pk}),
    }


def photo(article):
    image = article.hero_photo
    if image is None:
        return None
    renditions = [
        {"url": r["url"], "width": r["width"], "height": r["height"], "format": fmt}
        for fmt in ("webp", "jpeg")
        for r in image.heroes(fmt)
    ]
    return {
        "id": image.pk,
        "alt_text": image.alt_text,
        "caption": article.hero_caption_text,
        "credit": article.hero_credit_text,
        "width": image.width,
        "height": image.height,
        # Until its renditions are made (a background task after an upload), the best image
        # there is: the original, never a missing one.
        "fallback": {
            "url": image.fallback["url"],
            "width": image.fallback["width"],
            "height": image.fallback["height"],
        },
        "renditions": renditions,
    }


def build(article, sections, quotes, notes, tags, sources, citations, last_updated):
    """The API's article: `sections`, `quotes` (all of the article's), `notes`, `tags`,
    `sources` (the derived list) and `citations` as explainers.document.build has them."""
    anchors = {section.pk: section.anchor for section in sections}
    url = article.get_absolute_url()
    cited = {}
    for section_id, record in citations:
        cited.setdefault(section_id, []).append(record.pk)
    return {
        "id": article.pk,
        "url": url,
        "api_url": reverse("api:article-detail", kwargs={"pk": article.pk}),
        "canonical_url": article.original_url or url,
        "status": article.status,
        "language": article.language,
        "kicker": article.kicker,
        "headline": article.headline,
        "slug": article.slug,
        "summary": article.dek,
        "published_at": when(article.published_at),
        "updated_at": when(article.updated_at),
        "last_updated": when(last_updated),
        "lead": {**rich(article.lead), "sources": sorted(cited.get(None, []))},
        "questions": [
            {
                "id": section.pk,
                "position": number,
                "question": section.question,
                "anchor": section.anchor,
                "url": f"{url}#{section.anchor}",
                "answer": rich(section.answer),
                "revised_at": when(section.revised_at),
                "sources": sorted(cited.get(section.pk, [])),
            }
            for number, section in enumerate(sections, start=1)
        ],
        "quotes": [
            {
                "id": quote.pk,
                "text": quote.text,
                "speaker": person(quote.speaker),
                "speaker_role": quote.speaker_role
                or (quote.speaker.usual_role if quote.speaker else ""),
                "source": source(quote.source),
                "context": quote.context,
                "said_on": quote.said_on.isoformat() if quote.said_on else None,
                # Where it stands: in the lead (null) or a question's answer, after a paragraph
                # (null: after the last).
                "question": anchors.get(quote.section_id),
                "after_paragraph": quote.after_paragraph,
            }
            for quote in quotes
        ],
        "sources": [source(record) for record in sources],
        "notes": [
            {
                "id": note.pk,
                "kind": note.kind,
                "label": note.label,
                "text": note.text,
                "noted_at": when(note.noted_at),
                "question": anchors.get(note.section_id),
            }
            for note in notes
        ],
        "hero_photo": photo(article),
        "tags": [tag_of(tag) for tag in tags],
        "authors": [person(byline.author) for byline in article.bylines.all()],
        "contributed_by": article.contributed_by,
    }


URL_KEYS = {"url", "api_url", "site_url", "canonical_url"}


def absolute(data, request):
    """`data` with its site-relative addresses made absolute for this request's host."""
    if isinstance(data, dict):
        return {
            key: request.build_absolute_uri(value)
            if key in URL_KEYS and isinstance(value, str) and value.startswith("/")
            else absolute(value, request)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [absolute(item, request) for item in data]
    return data
