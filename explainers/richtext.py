"""
Rich text for leads and answers: stored as HTML that has already been through an allowlist.

Sanitising happens on the way in (every save goes through RichTextField.pre_save), so templates
can print stored bodies as they are and nothing a reader sees was left unsanitised.
"""

import html
import re
from collections import defaultdict

import nh3
from django.db import models

ALLOWED_TAGS = {"p", "a", "strong", "em", "ul", "ol", "li", "blockquote", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_HAS_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!]")
_BLANK_LINES = re.compile(r"\n\s*\n")


def sanitize_html(value):
    """Return `value` as HTML that keeps only the allowed tags, attributes and link schemes.

    Text typed without any markup is treated as plain paragraphs separated by blank lines, so an
    editor who writes in a bare text box still gets paragraphs rather than one run-on block.
    """
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not _HAS_TAG.search(value):
        paragraphs = [p.strip() for p in _BLANK_LINES.split(value) if p.strip()]
        value = "".join(
            "<p>{}</p>".format(html.escape(p).replace("\n", "<br>")) for p in paragraphs
        )
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=None,
    ).strip()


def html_to_text(value):
    """The words of an HTML fragment, for emptiness checks and plain-text uses."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value or "")).split())


# A link with no address yet: what the importer makes of a `[words](#)` placeholder in a draft.
_PLACEHOLDER_LINK = re.compile(r'<a\b[^>]*\bhref="#?"[^>]*>(.*?)</a>', re.S | re.I)


def placeholder_links(value):
    """The words of every link in sanitised HTML that has no address yet."""
    return [html_to_text(words) for words in _PLACEHOLDER_LINK.findall(value or "")]


def unlink_placeholders(value):
    """Sanitised HTML with its links that have no address turned back into plain words."""
    return _PLACEHOLDER_LINK.sub(r"\1", value or "")


class RichTextField(models.TextField):
    """A TextField whose value is sanitised with `sanitize_html` every time the model is saved."""

    def pre_save(self, model_instance, add):
        value = sanitize_html(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
_VOID_TAGS = {"br"}


def split_blocks(value):
    """Split sanitised HTML into its top-level blocks (paragraphs, lists, block quotes)."""
    blocks, depth, start = [], 0, 0
    for match in _TAG.finditer(value):
        closing, name = match.group(1), match.group(2).lower()
        if name in _VOID_TAGS:
            continue
        if not closing:
            if depth == 0 and value[start : match.start()].strip():
                blocks.append(value[start : match.start()].strip())
            if depth == 0:
                start = match.start()
            depth += 1
        else:
            depth = max(depth - 1, 0)
            if depth == 0:
                blocks.append(value[start : match.end()])
                start = match.end()
    if value[start:].strip():
        blocks.append(value[start:].strip())
    return blocks


def interleave(value, quotes):
    """The blocks of a body with its quotes placed after the paragraph each one names.

    Returns ("html", fragment) and ("quote", quote) pairs in reading order; a quote without a
    paragraph number, or with one past the end, follows the last paragraph.
    """
    blocks = split_blocks(value)
    placed = defaultdict(list)
    for quote in quotes:
        after = quote.after_paragraph
        placed[len(blocks) if after is None else min(after, len(blocks))].append(quote)
    items = [("quote", q) for q in placed[0]]
    for n, block in enumerate(blocks, start=1):
        items.append(("html", block))
        items.extend(("quote", q) for q in placed[n])
    return items
