"""
Rich text for leads and answers: stored as HTML that has already been through an allowlist.

Sanitising happens on the way in (every save goes through RichTextField.pre_save), so templates
can print stored bodies as they are and nothing a reader sees was left unsanitised.
"""

import html
import re
from collections import defaultdict
from html.parser import HTMLParser

import nh3
from django.core.exceptions import ValidationError
from django.db import models

ALLOWED_TAGS = {"p", "a", "strong", "em", "ul", "ol", "li", "blockquote", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_HAS_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!]")
_BLANK_LINES = re.compile(r"\n\s*\n")

# Link addresses. The editor's link dialog (static/admin/newsroom-editor.js) applies the same
# rules with the same patterns, so what it accepts the server keeps and what it refuses the
# server refuses too.
#
# An address typed without a scheme ("www.example.org/page", "example.org", "//example.org/x")
# is a web address and gets https://; left alone, a browser would read it as a page of this site.
_NO_SCHEME_HOST = re.compile(r"^(?:[\w-]+\.)+[^\W\d_]{2,}(?::\d+)?(?:[/?#]\S*)?$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
# What a link may point to: a web page, an e-mail address, or another question of the same
# explainer by its anchor ("#why-now"): the questions are sections of the page with those ids.
_GOOD_ADDRESS = re.compile(r"^(?:https?://[^\s/?#]+(?:[/?#]\S*)?|mailto:\S+|#[^\s#]+)$", re.I)
# "" and "#": a link still waiting for its address (an import's placeholder), which a draft may
# hold; the publish checklist lists it.
_NO_ADDRESS_YET = {"", "#"}

_SPACES = re.compile(r"(?:&nbsp;|\xa0| )+")
_SPACE_BEFORE_EDGE = re.compile(r" (?=</?(?:p|li|blockquote)>|<br>)")
_SPACE_AFTER_EDGE = re.compile(r"(<(?:p|li|blockquote)>|<br>) ")


def link_address(href):
    """The address a link typed as `href` is stored with: an address with no scheme gets https://."""
    address = (href or "").strip()
    if address.startswith("//"):
        return "https:" + address
    if not _SCHEME.match(address) and _NO_SCHEME_HOST.match(address):
        return "https://" + address
    return address


def address_problem(words, address):
    """Why the link `words` cannot go to `address` (as link_address stores it), or None."""
    if address in _NO_ADDRESS_YET or _GOOD_ADDRESS.match(address):
        return None
    return (
        f"The link “{words}” goes to “{address}”, which is not a web address: use one starting "
        "with https://, http:// or mailto:, or # and the anchor of a question of this explainer."
    )


class _Links(HTMLParser):
    """Collects (words, href or None) for every <a> of an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.open = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.open.append([dict(attrs).get("href"), []])

    def handle_endtag(self, tag):
        if tag == "a" and self.open:
            href, words = self.open.pop()
            self.links.append((" ".join("".join(words).split()), href))

    def handle_data(self, data):
        for link in self.open:
            link[1].append(data)


def links(value):
    """(words, href) for every link of an HTML fragment; href is None for an <a> without one."""
    parser = _Links()
    parser.feed(value or "")
    parser.close()
    return parser.links


def refused_links(value):
    """(words, address, problem) for every link of `value` whose address is refused."""
    found = []
    for words, href in links(value):
        if href is None:
            continue
        address = link_address(href)
        problem = address_problem(words, address)
        if problem:
            found.append((words, address, problem))
    return found


def validate_links(value):
    """Refuse a lead or answer with a link to anything but a web or e-mail address, naming it.

    Checked on what was typed, before sanitising: sanitising silently drops a javascript: or
    ftp: address, and the reporter should hear of it rather than find a dead link later."""
    problems = [problem for _, _, problem in refused_links(value)]
    if problems:
        raise ValidationError(problems, code="bad_link")


def _stored_href(tag, attribute, value):
    """nh3's attribute filter: addresses are stored the way link_address writes them."""
    if tag == "a" and attribute == "href":
        return link_address(value)
    return value


def _clean_spaces(value):
    """Ordinary spaces only: the editor and browsers type U+00A0 for a second or a trailing space.

    A run of spaces is one space, as readers see it anyway, and none is kept at the start or the
    end of a paragraph, a list item or a line."""
    value = _SPACE_BEFORE_EDGE.sub("", _SPACES.sub(" ", value))
    return _SPACE_AFTER_EDGE.sub(r"\1", value)


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
    cleaned = nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_stored_href,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=None,
    )
    return _clean_spaces(cleaned).strip()


def html_to_text(value):
    """The words of an HTML fragment, for emptiness checks and plain-text uses."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value or "")).split())


# A link with no address yet: what the importer makes of a `[words](#)` placeholder in a draft,
# and what sanitising leaves of a link whose address was dropped (a javascript: one, say).
_PLACEHOLDER_LINK = re.compile(
    r'<a\b(?:[^>]*\bhref="#?"[^>]*|(?![^>]*\bhref=)[^>]*)>(.*?)</a>', re.S | re.I
)


def placeholder_links(value):
    """The words of every link in sanitised HTML that has no address yet."""
    return [html_to_text(words) for words in _PLACEHOLDER_LINK.findall(value or "")]


def unlink_placeholders(value):
    """Sanitised HTML with its links that have no address turned back into plain words."""
    return _PLACEHOLDER_LINK.sub(r"\1", value or "")


class RichTextField(models.TextField):
    """A TextField whose value is sanitised with `sanitize_html` every time the model is saved.

    Its forms refuse links to anything but web and e-mail addresses (validate_links), on the
    field itself: the lead, or the answer of the question that holds the link."""

    default_validators = [validate_links]

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
