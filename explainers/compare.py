"""
The revision comparison: two saved revisions of an article as the text an editor reads, one
column, with what the newer one removed and added marked in words.

A revision (django-reversion) holds the article and its parts as serialised field values: the
article, its questions, quotes, bylines, corrections and (since Article.tagged_items is followed)
its tags. Each revision is turned into lines — every field in words, dates in the site's time
zone and format, link addresses written out so a changed href shows — and the two are compared
with difflib. Unchanged stretches far from a change are folded behind a <details> toggle.

Names of the records a revision points at (authors, speakers, sources, photos, tags) are not in
it: they are read from the database as it is now, one query per model.
"""

import difflib
import re
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.utils import formats, timezone
from reversion.errors import RevertError
from taggit.models import Tag

from photos.models import Photo

from .forms import display_name
from .merge import recorded_tags
from .models import Article, Author, Source, Speaker, UpdateNote
from .richtext import html_to_text, split_blocks

CONTEXT = 2  # unchanged lines kept in view on each side of a change


class Line(str):
    """A line of a revision's text; `heading` lines open a part of the article."""

    heading = False


def heading(text):
    line = Line(text)
    line.heading = True
    return line


@dataclass
class Row:
    kind: str  # "same", "removed" or "added"
    heading: bool
    segments: list  # (text, changed) pairs: changed words of a changed line are marked


@dataclass
class Block:
    rows: list
    folded: bool = False


@dataclass
class Comparison:
    older: object
    newer: object
    blocks: list = field(default_factory=list)
    removed: int = 0
    added: int = 0

    @property
    def changed(self):
        return bool(self.removed or self.added)


def comparison(older, newer, fold=True):
    """The comparison of two versions of one article, `older` first."""
    snapshots = [Snapshot(older), Snapshot(newer)]
    names = Names(snapshots)
    old, new = (snapshot.lines(names) for snapshot in snapshots)
    rows = diff_rows(old, new)
    result = Comparison(older, newer, fold_rows(rows) if fold else [Block(rows)])
    result.removed = sum(row.kind == "removed" for row in rows)
    result.added = sum(row.kind == "added" for row in rows)
    return result


def revision_label(version):
    revision = version.revision
    return f"{when(revision.date_created)} — {display_name(revision.user)}"


def when(value):
    """A moment as the rest of the admin shows it: the site's time zone, DATETIME_FORMAT."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


# A revision's content.


class Snapshot:
    """The article and its parts as one revision holds them."""

    def __init__(self, version):
        self.version = version
        self.parts = {}
        self.unreadable = 0
        # A revision holding none of this article's taggings does not record its tags (the one
        # rule, shared with the merge and the restore: merge.recorded_tags).
        self.has_tags = recorded_tags(version) is not None
        article_type = ContentType.objects.get_for_model(Article).pk
        for item in version.revision.version_set.select_related("content_type"):
            model = item.content_type.model
            try:
                fields = item.field_dict
            except RevertError:
                self.unreadable += 1
                continue
            # Only this article and its own parts: a revision made by a bulk action may hold
            # other articles too.
            if model == "article":
                owner = fields.get("id")
            elif model == "taggeditem":
                if fields.get("content_type_id") != article_type:
                    continue
                owner = fields.get("object_id")
            else:
                owner = fields.get("article_id")
            if str(owner) == version.object_id:
                self.parts.setdefault(model, []).append(fields)
        self.article = (self.parts.get("article") or [{}])[0]

    def part(self, model, order):
        return sorted(self.parts.get(model, []), key=lambda fields: [fields[k] for k in order])

    def ids(self):
        """(model, pk) of every shared record this revision names."""
        article = self.article
        yield from ((Source, pk) for pk in article.get("lead_sources", []))
        yield Photo, article.get("hero_photo_id")
        for byline in self.parts.get("byline", []):
            yield Author, byline["author_id"]
        for tagged in self.parts.get("taggeditem", []):
            yield Tag, tagged["tag_id"]
        for section in self.parts.get("questionsection", []):
            yield from ((Source, pk) for pk in section.get("sources", []))
        for quote in self.parts.get("quote", []):
            yield Speaker, quote["speaker_id"]
            yield Source, quote["source_id"]

    def lines(self, names):
        article = self.article
        status = dict(Article.Status.choices).get(article.get("status"), article.get("status"))
        bylines = self.part("byline", ("position", "id"))
        authors = ", ".join(names.of(Author, byline["author_id"]) for byline in bylines)
        photo = article.get("hero_photo_id")
        lines = [
            f"Kicker: {article.get('kicker') or '—'}",
            f"Headline: {article.get('headline', '')}",
            f"Summary: {article.get('dek') or '—'}",
            f"Address (slug): {article.get('slug', '')}",
            f"Status: {status}",
            f"Publication date: {moment(article.get('published_at'))}",
            f"By: {authors or '—'}",
            f"Tags: {self.tag_names(names)}",
            f"Contributed reporting: {article.get('contributed_by') or '—'}",
            f"Original URL: {article.get('original_url') or '—'}",
            heading("Hero photo"),
            f"Photo: {names.of(Photo, photo) if photo else 'none'}",
            f"Caption for this story: {article.get('hero_caption') or '— (the photo’s own)'}",
            f"Credit for this story: {article.get('hero_credit') or '— (the photo’s own)'}",
            heading("Lead"),
            *text_lines(article.get("lead", "")),
        ]
        cited = names.list(Source, article.get("lead_sources", []))
        if cited:
            lines.append(f"Sources cited in the lead: {cited}")
        quotes = self.part("quote", ("position", "id"))
        lines += [f"Quote: {quote_text(q, names)}" for q in quotes if q["section_id"] is None]
        sections = self.part("questionsection", ("position", "id"))
        questions = {s["id"]: s["question"] for s in sections}
        for section in sections:
            lines.append(heading(f"Question: {section['question']}"))
            lines += text_lines(section["answer"])
            if section.get("revised_at"):
                lines.append(f"Marked updated: {moment(section['revised_at'])}")
            cited = names.list(Source, section.get("sources", []))
            if cited:
                lines.append(f"Sources cited: {cited}")
            lines += [
                f"Quote: {quote_text(q, names)}" for q in quotes if q["section_id"] == section["id"]
            ]
        notes = self.part("updatenote", ("noted_at", "id"))
        lines.append(heading("Corrections and updates"))
        for note in notes:
            kind = dict(UpdateNote.Kind.choices).get(note["kind"], note["kind"])
            about = (
                f"on “{questions.get(note['section_id'], '(a removed question)')}”"
                if note["section_id"]
                else "on the whole article"
            )
            lines.append(f"{kind}, {moment(note['noted_at'])}, {about}: {note['text']}")
        if not notes:
            lines.append("None")
        if self.unreadable:
            lines.append(f"({self.unreadable} part(s) of this revision can no longer be read.)")
        return [line if isinstance(line, Line) else Line(line) for line in lines]

    def tag_names(self, names):
        if not self.has_tags:
            return "none (or not recorded: revisions made before tags were kept hold none)"
        tags = sorted(names.of(Tag, t["tag_id"]) for t in self.parts.get("taggeditem", []))
        return ", ".join(tags) or "none"


class Names:
    """The names of the shared records both revisions point at, one query per model."""

    LABELS = {Author: "author", Speaker: "speaker", Source: "source", Photo: "photo", Tag: "tag"}

    def __init__(self, snapshots):
        wanted = {}
        for snapshot in snapshots:
            for model, pk in snapshot.ids():
                if pk is not None:
                    wanted.setdefault(model, set()).add(pk)
        self.names = {
            model: {record.pk: str(record) for record in model.objects.filter(pk__in=pks)}
            for model, pks in wanted.items()
        }

    def of(self, model, pk):
        if pk is None:
            return "none"
        return self.names.get(model, {}).get(pk) or f"(deleted {self.LABELS[model]} #{pk})"

    def list(self, model, pks):
        return ", ".join(sorted(self.of(model, pk) for pk in pks))


def moment(value):
    return when(value) if value else "none"


def quote_text(quote, names):
    speaker = names.of(Speaker, quote["speaker_id"]) if quote["speaker_id"] else "no speaker"
    details = [speaker, quote.get("speaker_role"), quote.get("context")]
    if quote.get("said_on"):
        details.append(formats.date_format(quote["said_on"], "DATE_FORMAT"))
    text = f"“{quote['text']}” — {', '.join(d for d in details if d)}"
    if quote.get("source_id"):
        text += f", according to {names.of(Source, quote['source_id'])}"
    if quote.get("after_paragraph") is not None:
        text += f" (after paragraph {quote['after_paragraph']})"
    return text


_LINK = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.S | re.I)
_HREF = re.compile(r'\bhref="([^"]*)"', re.I)
_ITEM = re.compile(r"<li\b[^>]*>(.*?)</li>", re.S | re.I)
_OPENING = re.compile(r"<([a-zA-Z]+)")


def with_addresses(value):
    """HTML with each link's address written after its words: `words [https://…]`."""

    def written(match):
        href = _HREF.search(match.group(1))
        address = href.group(1) if href and href.group(1) not in ("", "#") else "no address yet"
        return f"{match.group(2)} [{address}]"

    return _LINK.sub(written, value)


def text_lines(value):
    """A lead or an answer as lines: one a paragraph, one a list item."""
    lines = []
    for block in split_blocks(with_addresses(value or "")):
        opening = _OPENING.match(block)
        name = opening.group(1).lower() if opening else ""
        items = _ITEM.findall(block) if name in ("ul", "ol") else []
        if items:
            lines += [
                f"{f'{n}.' if name == 'ol' else '•'} {html_to_text(item)}"
                for n, item in enumerate(items, start=1)
            ]
        elif name == "blockquote":
            lines.append(f"Block quote: {html_to_text(block)}")
        elif html_to_text(block):
            lines.append(html_to_text(block))
    return lines or ["—"]


# The comparison.


def diff_rows(old, new):
    """Rows for every line of both texts: unchanged, removed (old only) or added (new only).
    Where a removed line and an added one are versions of each other, the changed words are
    marked."""
    rows = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [Row("same", line.heading, [(str(line), False)]) for line in old[i1:i2]]
            continue
        removed, added = old[i1:i2], new[j1:j2]
        pairs = [word_segments(a, b) for a, b in zip(removed, added, strict=False)]
        for n, line in enumerate(removed):
            segments = pairs[n][0] if n < len(pairs) else [(str(line), False)]
            rows.append(Row("removed", line.heading, segments))
        for n, line in enumerate(added):
            segments = pairs[n][1] if n < len(pairs) else [(str(line), False)]
            rows.append(Row("added", line.heading, segments))
    return rows


_WORDS = re.compile(r"\w+|\s+|[^\w\s]")  # words, spaces and each punctuation mark


def word_segments(old, new):
    """The two lines as (text, changed) segments, if they are alike enough for marking the
    changed words to help; otherwise each as one unmarked segment."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < 0.4:
        return [(str(old), False)], [(str(new), False)]
    old_segments, new_segments = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        append(old_segments, "".join(a[i1:i2]), changed)
        append(new_segments, "".join(b[j1:j2]), changed)
    return old_segments, new_segments


def append(segments, text, changed):
    if changed and text.strip() and text != text.strip():
        # The spaces around changed words are not marked with them.
        body = text.strip()
        start = text.index(body)
        append(segments, text[:start], False)
        append(segments, body, True)
        append(segments, text[start + len(body) :], False)
        return
    if not text:
        return
    if segments and segments[-1][1] == changed:
        segments[-1] = (segments[-1][0] + text, changed)
    else:
        segments.append((text, changed))


def fold_rows(rows):
    """The rows in blocks: unchanged stretches keep CONTEXT lines next to each change in view
    and fold the rest (all of it when nothing changed)."""
    blocks, start = [], 0
    while start < len(rows):
        end = start
        same = rows[start].kind == "same"
        while end < len(rows) and (rows[end].kind == "same") == same:
            end += 1
        run = rows[start:end]
        if not same:
            blocks.append(Block(run))
        else:
            keep_before = CONTEXT if start > 0 else 0
            keep_after = CONTEXT if end < len(rows) else 0
            hidden = run[keep_before : len(run) - keep_after]
            if len(hidden) < 2:
                blocks.append(Block(run))
            else:
                if keep_before:
                    blocks.append(Block(run[:keep_before]))
                blocks.append(Block(hidden, folded=True))
                if keep_after:
                    blocks.append(Block(run[len(run) - keep_after :]))
        start = end
    return blocks
