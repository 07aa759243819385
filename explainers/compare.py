"""
The revision comparison: two saved revisions of an article as text, side by side.

A revision (django-reversion) holds the article and its parts as serialised field values; they
are turned into lines an editor reads — headline, summary, lead, each question with its answer,
sources and quotes — and compared with difflib.
"""

import difflib

from django.utils import timezone
from django.utils.dateformat import format as format_date

from .forms import display_name
from .models import Source, Speaker
from .richtext import html_to_text, split_blocks


def table(older, newer):
    """The HTML table comparing two versions of an article, older on the left."""
    return difflib.HtmlDiff(wrapcolumn=70).make_table(
        version_lines(older),
        version_lines(newer),
        fromdesc=revision_label(older),
        todesc=revision_label(newer),
    )


def revision_label(version):
    revision = version.revision
    when = format_date(timezone.localtime(revision.date_created), "F j, Y, H:i")
    return f"{when} — {display_name(revision.user)}"


def version_lines(version):
    """A revision of an article as lines of text, for a side-by-side comparison."""
    parts = {}
    for item in version.revision.version_set.select_related("content_type"):
        fields = item.field_dict
        # Only this article and its own parts (an old revision may hold other articles too):
        # a part names its article, the article is itself.
        if str(fields.get("article_id", fields.get("id"))) == version.object_id:
            parts.setdefault(item.content_type.model, []).append(fields)
    article = (parts.get("article") or [{}])[0]
    speakers = dict(Speaker.objects.values_list("pk", "name"))
    sources = dict(Source.objects.values_list("pk", "name"))
    lines = [
        f"Kicker: {article.get('kicker', '')}",
        f"Headline: {article.get('headline', '')}",
        f"Summary: {article.get('dek', '')}",
        f"Status: {article.get('status', '')}",
        f"Publication date: {article.get('published_at') or '—'}",
        "",
        "Lead:",
        *paragraph_lines(article.get("lead", "")),
    ]
    lead_sources = [sources.get(pk, pk) for pk in article.get("lead_sources", [])]
    if lead_sources:
        lines.append(f"Sources cited in the lead: {', '.join(map(str, lead_sources))}")
    quotes = sorted(parts.get("quote", []), key=lambda q: (q["position"], q["id"]))
    for section in sorted(parts.get("questionsection", []), key=lambda s: s["position"]):
        lines += ["", f"Q{section['position']}. {section['question']}"]
        lines += paragraph_lines(section["answer"])
        cited = [str(sources.get(pk, pk)) for pk in section.get("sources", [])]
        if cited:
            lines.append(f"Sources: {', '.join(cited)}")
        for quote in (q for q in quotes if q["section_id"] == section["id"]):
            speaker = speakers.get(quote["speaker_id"], "no speaker")
            lines.append(f"Quote: “{quote['text']}” — {speaker}")
    for quote in (q for q in quotes if q["section_id"] is None):
        speaker = speakers.get(quote["speaker_id"], "no speaker")
        lines.append(f"Lead quote: “{quote['text']}” — {speaker}")
    return lines


def paragraph_lines(value):
    return [html_to_text(block) for block in split_blocks(value or "")] or ["—"]
