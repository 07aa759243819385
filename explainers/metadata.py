"""What a page tells machines about itself: OpenGraph/Twitter tags and schema.org JSON-LD."""

import json

from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import mark_safe

from .richtext import html_to_text


def to_json(data):
    """Compact JSON that cannot end a <script> element or start markup: <, > and & are escaped
    as JSON allows (three replaces: much faster than str.translate on a long payload)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return payload.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


def json_ld(data):
    """A JSON-LD <script> element that no value can break out of."""
    return mark_safe(f'<script type="application/ld+json">{to_json(data)}</script>')


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


def person(name, url=None, job_title=""):
    data = {"@type": "Person", "name": name}
    if url:
        data["url"] = url
    if job_title:
        data["jobTitle"] = job_title
    return data


def quotation(quote):
    data = {"@type": "Quotation", "text": quote.text}
    if quote.speaker:
        data["creator"] = person(
            quote.speaker.name, quote.speaker.get_absolute_url(), quote.speaker_role
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


def content_json_ld(article, sections, lead_quotes, notes, sources):
    """The members of an article's JSON-LD that come from its own content, with site-relative
    URLs: stored in its page document (explainers.document), made absolute per request by
    `article_json_ld`.

    Questions and answers are Question/Answer parts, not an FAQPage: search engines no longer
    give news sites FAQ results, and an explainer is an article first. All text is plain.
    """
    page_path = article.get_absolute_url()
    parts = [quotation(quote) for quote in lead_quotes]
    for section, quotes in sections:
        answer = {"@type": "Answer", "text": html_to_text(section.answer)}
        if quotes:
            answer["hasPart"] = [quotation(quote) for quote in quotes]
        parts.append(
            {
                "@type": "Question",
                "name": section.question,
                "url": f"{page_path}#{section.anchor}",
                "acceptedAnswer": answer,
            }
        )
    data = {
        "author": [
            person(b.author.name, b.author.get_absolute_url()) for b in article.bylines.all()
        ],
        "keywords": [tag.name for tag in article.tags.all()],
        "hasPart": parts,
        "citation": [source_work(source) for source in sources],
        "correction": [
            {
                "@type": "CorrectionComment",
                "text": note.text,
                "datePublished": note.noted_at.isoformat(),
            }
            for note in notes
        ],
    }
    return {key: value for key, value in data.items() if value}


def absolute_urls(request, data):
    """A copy of JSON-LD data with every site-relative "url" made absolute for this request."""
    # The site's root once, not build_absolute_uri() for each of a page's dozens of URLs: the
    # stored ones are reverse()d paths, already quoted.
    return with_base(request.build_absolute_uri("/")[:-1], data)


def with_base(base, data):
    if isinstance(data, dict):
        return {
            key: base + value
            if key == "url" and isinstance(value, str) and value.startswith("/")
            else with_base(base, value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [with_base(base, item) for item in data]
    return data


def article_json_ld(request, article, document, page_url, last_updated, versions=()):
    """The page's schema.org NewsArticle as a <script> element: what depends on the request and
    on the hero photo, plus the content members stored in its page document."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.headline,
        "description": article.dek,
        "url": page_url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": page_url},
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": (last_updated or article.updated_at).isoformat(),
        "inLanguage": article.language,
        "publisher": publisher(request),
        "isAccessibleForFree": True,
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
    if article.original_url:
        data["isBasedOn"] = article.original_url
    # The story in other languages (published versions only): what this one was translated
    # from, and what was translated from it.
    for version in versions:
        work = {
            "@type": "NewsArticle",
            "@id": request.build_absolute_uri(version["url"]),
            "inLanguage": version["language"],
        }
        if version["id"] == article.translated_from_id:
            data["translationOfWork"] = work
        elif version["translated_from"] == article.pk:
            data.setdefault("workTranslation", []).append(work)
    data = {key: value for key, value in data.items() if value not in (None, "", [])}
    return json_ld({**data, **absolute_urls(request, document.json_ld)})
