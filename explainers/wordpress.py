"""
Move in from WordPress: a WordPress export (WXR, the XML file of Tools → Export) read into
explainers.

Each post becomes an article: its title, slug, author, date, status, categories and tags as they
were; its content split at its `h2`/`h3` headings into the lead and question sections, each
`blockquote` a quote with its speaker where the quote names one (a `<cite>`, or a last line
"— Name, role"), every other block kept as the answer's paragraphs (sanitised like everything
saved). Images are listed in the report with their addresses and left out: nothing is
downloaded. The post's old address becomes a redirect to the article (explainers.redirects).

`parse_export()` only reads, with a report of every decision (importer.Note, "line" being the
post's number in the file), or raises ImportProblem naming the problem; `save_export()` writes
every post in one transaction, updating articles imported before (same slug), so a failure leaves
nothing half-written. Pages, attachments and other post types are skipped and reported. The file
is read with defusedxml: no entity expansion, no external entities.
"""

import datetime
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import reversion
from bs4 import BeautifulSoup
from defusedxml import ElementTree
from django.db import transaction
from django.utils import timezone

from . import workflow
from .importer import (
    ImportProblem,
    Note,
    ParsedExplainer,
    ParsedQuote,
    ParsedSection,
    detect_language,
    existing_article,
    too_large,
    write_explainer,
)
from .models import Article, Redirect

NAMESPACES = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
# WXR's own namespace carries its version (1.0, 1.1, 1.2): any is read.
WP = re.compile(r"^\{http://wordpress\.org/export/1\.\d+/\}")
# A newsroom's whole archive, as one file.
MAX_EXPORT_BYTES = 50_000_000
STATUSES = {
    "publish": Article.Status.PUBLISHED,
    "future": Article.Status.PUBLISHED,  # scheduled: it appears at its date
    "pending": Article.Status.REVIEW,
    "draft": Article.Status.DRAFT,
    "private": Article.Status.DRAFT,
}
BLOCK = re.compile(r"<(?:h[1-6]|blockquote|ul|ol|figure|div|table|pre|hr)\b", re.I)
DASHED = re.compile(r"^\s*[—–-]+\s*(?P<who>.+)$", re.S)


@dataclass
class WordPressPost:
    number: int
    post_id: str
    parsed: ParsedExplainer
    status: str
    published_at: datetime.datetime | None
    old_path: str
    tags: list = field(default_factory=list)
    images: list = field(default_factory=list)


@dataclass
class WordPressExport:
    posts: list
    report: list


def wp(element, name):
    """The text of the wp:`name` child, whatever the WXR version."""
    for child in element:
        if WP.match(child.tag) and child.tag.rsplit("}", 1)[1] == name:
            return (child.text or "").strip()
    return ""


def parse_export(data):
    """Read a WordPress export (bytes) into a WordPressExport, or raise ImportProblem."""
    if len(data) > MAX_EXPORT_BYTES:
        raise too_large(len(data), MAX_EXPORT_BYTES, "a WordPress export")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        line = getattr(error, "position", (None,))[0]
        raise ImportProblem(f"is not a readable WordPress export (XML: {error})", line) from None
    except Exception as error:  # defusedxml's refusals: entities, DTDs
        raise ImportProblem(f"is refused: {error.__class__.__name__} ({error})") from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ImportProblem("is not a WordPress export: it has no <rss><channel>")
    authors = {}
    for element in channel:
        if WP.match(element.tag) and element.tag.endswith("}author"):
            login = wp(element, "author_login")
            authors[login] = wp(element, "author_display_name") or login
    report, posts = [], []
    for number, item in enumerate(channel.findall("item"), start=1):
        post_type = wp(item, "post_type") or "post"
        title = (item.findtext("title") or "").strip()
        if post_type != "post":
            if post_type == "attachment":
                url = wp(item, "attachment_url")
                report.append(Note(number, f"attachment “{title}” not imported: {url}", "image"))
            else:
                report.append(Note(number, f"{post_type} “{title}” skipped", "skipped"))
            continue
        posts.append(read_post(number, item, title, authors, report))
    if not posts:
        raise ImportProblem("has no posts to import")
    return WordPressExport(posts, report)


def read_post(number, item, title, authors, report):
    if not title:
        raise ImportProblem("a post has no title", number)
    where = f"“{title}”"
    status = wp(item, "status")
    if status not in STATUSES:
        raise ImportProblem(f"{where} has the status “{status}”, which WordPress does not", number)
    parsed = ParsedExplainer(headline=title, report=[], language="")
    parsed.given_slug = unquote(wp(item, "post_name"))[:200]
    creator = (item.findtext("dc:creator", namespaces=NAMESPACES) or "").strip()
    if creator:
        parsed.authors = [authors.get(creator, creator)]
    published_at = post_date(item, number, where)
    html = item.findtext("content:encoded", namespaces=NAMESPACES) or ""
    images = split_content(html, parsed, number, where, report)
    parsed.language = detect_language(title + " " + BeautifulSoup(html, "html.parser").get_text())
    if not parsed.sections:
        raise ImportProblem(
            f"{where} has no h2 or h3 heading: an explainer needs at least one question", number
        )
    tags = []
    for category in item.findall("category"):
        name = (category.text or "").strip()
        if name and category.get("domain") in ("category", "post_tag") and name not in tags:
            tags.append(name)
    link = (item.findtext("link") or "").strip()
    # The address readers had: its path (a "?p=123" permalink, the home page, is no address).
    old_path = unquote(urlsplit(link).path) if link else ""
    old_path = "" if old_path in ("", "/") else old_path
    report.append(
        Note(
            number,
            f"{where}: {len(parsed.sections)} questions, {len(parsed.quotes)} quotes, "
            f"status {STATUSES[status].label.lower()}" + (f", from {old_path}" if old_path else ""),
            "post",
        )
    )
    for url in images:
        report.append(Note(number, f"{where}: image not imported: {url}", "image"))
    return WordPressPost(
        number,
        wp(item, "post_id"),
        parsed,
        STATUSES[status],
        published_at,
        old_path,
        tags,
        images,
    )


def post_date(item, number, where):
    raw = wp(item, "post_date_gmt")
    if not raw or raw.startswith("0000"):
        return None  # a draft never dated
    try:
        moment = datetime.datetime.strptime(raw, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ImportProblem(
            f"{where} has the date “{raw}”, not one WordPress writes", number
        ) from None
    return moment.replace(tzinfo=datetime.UTC)


def split_content(html, parsed, number, where, report):
    """The post's HTML as the lead and question sections; the images' addresses."""
    # WordPress stores paragraphs as text separated by blank lines (wpautop adds the <p>s).
    if "<p" not in html:
        html = "".join(
            part if BLOCK.match(part) else f"<p>{part}</p>"
            for part in (part.strip() for part in re.split(r"\n\s*\n", html))
            if part
        )
    soup = BeautifulSoup(html, "html.parser")
    images = [img.get("src", "") for img in soup.find_all("img")]
    for img in soup.find_all(["img", "figure", "script", "style", "iframe"]):
        img.decompose()
    body = parsed.lead
    for block in soup.children:
        name = getattr(block, "name", None)
        if name is None:
            if str(block).strip():
                body.paragraphs.append(f"<p>{block.get_text().strip()}</p>")
            continue
        if name in ("h2", "h3"):
            question = " ".join(block.get_text().split())
            if not question:
                continue
            if not question.endswith("?"):
                report.append(
                    Note(number, f"{where}: heading “{question}” made a question", "question")
                )
            parsed.sections.append(ParsedSection(number, question[:300]))
            body = parsed.sections[-1].body
        elif name == "blockquote":
            quote = read_quote(block, number)
            if quote:
                quote.after_paragraph = len(body.paragraphs)
                body.quotes.append(quote)
            else:
                report.append(
                    Note(
                        number,
                        f"{where}: a quotation without a named speaker kept as a paragraph",
                        "unattributed",
                    )
                )
                body.paragraphs.append(str(block))
        elif block.get_text().strip():
            body.paragraphs.append(str(block))
    for section in parsed.sections:
        if not section.body.paragraphs and not section.body.quotes:
            raise ImportProblem(f"{where}: the question “{section.question}” has no answer", number)
    return images


def read_quote(block, number):
    """A blockquote naming its speaker: in a <cite>, or a last paragraph "— Name, role"."""
    cite = block.find("cite")
    who = ""
    if cite is not None:
        who = cite.get_text(" ").strip()
        cite.decompose()
    else:
        paragraphs = block.find_all("p") or [block]
        last = paragraphs[-1].get_text(" ").strip()
        if match := DASHED.match(last) if len(paragraphs) > 1 else None:
            who = match["who"]
            paragraphs[-1].decompose()
    who = who.lstrip("—–- ").strip()
    text = " ".join(block.get_text(" ").split()).strip('“”"« »')
    if not who or not text:
        return None
    name, _, role = (part.strip() for part in who.partition(","))
    return ParsedQuote(line=number, text=text, speaker=name[:200], role=role[:200])


@dataclass
class SavedPost:
    article: Article
    created: bool


def save_export(export, *, user=None):
    """Write every post of a parsed export in one transaction: (saved posts, notes).

    A post that fails the publish checks (a placeholder link, say) is saved as a draft and the
    report says why; a post imported before (same slug) is updated. Each old address redirects
    to its article.
    """
    saved, notes = [], []
    with transaction.atomic():
        for post in export.posts:
            existing = existing_article(post.parsed, user)
            with reversion.create_revision():
                reversion.set_comment("Imported from WordPress.")
                if user is not None:
                    reversion.set_user(user)
                article, created = write_explainer(post.parsed, False, user, existing)
                status = post.status
                if status == Article.Status.PUBLISHED:
                    article.published_at = post.published_at or timezone.now()
                    problems = article.publish_problems()
                    if problems or (user is not None and not workflow.can_publish(user)):
                        status = Article.Status.DRAFT
                        why = " ".join(problems) or "only an editor may publish"
                        notes.append(
                            Note(
                                post.number,
                                f"“{article.headline}” saved as a draft: {why}",
                                "draft",
                            )
                        )
                elif post.published_at:
                    article.published_at = post.published_at
                article.status = status
                article.save()
                article.tags.set(post.tags)
            public = article.status == Article.Status.PUBLISHED
            if public and post.old_path and post.old_path != unquote(article.get_absolute_url()):
                Redirect.objects.update_or_create(
                    old_path=post.old_path, defaults={"article": article}
                )
            saved.append(SavedPost(article, created))
    return saved, notes
