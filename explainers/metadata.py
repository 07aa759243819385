"""What a page tells machines about itself: OpenGraph/Twitter tags and schema.org JSON-LD."""

import json

from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import mark_safe

from .richtext import html_to_text

# The characters that could end a <script> element or start markup, escaped as JSON allows.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld(data):
    """A JSON-LD <script> element that no value can break out of."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')


def publisher(request):
    organisation = {
        "@type": "NewsMediaOrganization",
        "name": settings.NEWSROOM_SITE_NAME,
        "url": request.build_absolute_uri("/"),
        "logo": {
            "@type": "ImageObject",
            "url": request.build_absolute_uri(static(settings.NEWSROOM_LOGO)),
        },
    }
    if settings.NEWSROOM_SAME_AS:
        organisation["sameAs"] = settings.NEWSROOM_SAME_AS
    return organisation


def person(request, name, url=None, job_title=""):
    data = {"@type": "Person", "name": name}
    if url:
        data["url"] = request.build_absolute_uri(url)
    if job_title:
        data["jobTitle"] = job_title
    return data


def quotation(request, quote):
    data = {"@type": "Quotation", "text": quote.text}
    if quote.speaker:
        data["creator"] = person(
            request, quote.speaker.name, quote.speaker.get_absolute_url(), quote.speaker_role
        )
    if quote.source:
        data["isBasedOn"] = source_work(quote.source)
    return data


def source_work(source):
    data = {"@type": "CreativeWork", "name": source.name}
    if source.url:
        data["url"] = source.url
    if source.publisher:
        data["publisher"] = {"@type": "Organization", "name": source.publisher}
    return data


def article_json_ld(
    request, article, page_url, sections, lead_quotes, notes, sources, last_updated
):
    """schema.org NewsArticle with its questions and answers as Question/Answer parts.

    Not FAQPage: search engines no longer give news sites FAQ results, and an explainer is an
    article first. All text is plain (no HTML).
    """
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.headline,
        "description": article.dek,
        "url": page_url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": page_url},
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": (last_updated or article.updated_at).isoformat(),
        "inLanguage": settings.NEWSROOM_LANGUAGE,
        "author": [
            person(request, b.author.name, b.author.get_absolute_url())
            for b in article.bylines.all()
        ],
        "publisher": publisher(request),
        "isAccessibleForFree": True,
        "keywords": [tag.name for tag in article.tags.all()],
    }
    photo = article.hero_photo
    if photo:
        images = [photo.social, *photo.heroes("jpeg")[-1:]]
        data["image"] = [
            {
                "@type": "ImageObject",
                "url": request.build_absolute_uri(image["url"]),
                "width": image["width"],
                "height": image["height"],
                "caption": article.hero_caption_text,
                "creditText": article.hero_credit_text,
            }
            for image in images
        ]
    parts = [quotation(request, quote) for quote in lead_quotes]
    for section, quotes in sections:
        answer = {"@type": "Answer", "text": html_to_text(section.answer)}
        if quotes:
            answer["hasPart"] = [quotation(request, quote) for quote in quotes]
        parts.append(
            {
                "@type": "Question",
                "name": section.question,
                "url": f"{page_url}#{section.anchor}",
                "acceptedAnswer": answer,
            }
        )
    data["hasPart"] = parts
    if sources:
        data["citation"] = [source_work(source) for source in sources]
    if notes:
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "text": note.text,
                "datePublished": note.noted_at.isoformat(),
            }
            for note in notes
        ]
    if article.original_url:
        data["isBasedOn"] = article.original_url
    return {key: value for key, value in data.items() if value not in (None, "", [])}
