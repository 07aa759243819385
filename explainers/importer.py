"""
Read an explainer written as plain text (the format of explainers/demo/*.txt) into an Article.

The format, as newsrooms paste it: a headline (a leading "Explainer:" becomes the kicker), a
"By [Name](#)" byline, a date line, a photo caption with the credit in **bold**, lead paragraphs,
question headings on their own lines each followed by answer paragraphs, [text](url) links,
"X contributed reporting." and an "Original url:" footer.

`parse_explainer()` only reads: it returns a ParsedExplainer, with a report of every decision it
made, or raises ImportProblem naming the line and the problem. `save_explainer()` writes the
result in one transaction, updating the article if it was imported before.
"""

import datetime
import html
import re
import unicodedata
from dataclasses import dataclass, field

import reversion
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from . import pagecache
from .models import Article, Author, Byline, QuestionSection, Quote, Source, Speaker, http_url
from .richtext import unlink_placeholders


class ImportProblem(Exception):
    def __init__(self, message, line=None):
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass
class ParsedSource:
    name: str
    kind: str


@dataclass
class ParsedQuote:
    line: int
    text: str
    speaker: str
    role: str = ""
    context: str = ""
    source: ParsedSource | None = None
    after_paragraph: int = 0


@dataclass
class Body:
    """The lead or one answer: paragraphs of HTML, the quotes between them, the sources cited."""

    paragraphs: list = field(default_factory=list)
    quotes: list = field(default_factory=list)
    sources: list = field(default_factory=list)


@dataclass
class ParsedSection:
    line: int
    question: str
    body: Body = field(default_factory=Body)


@dataclass
class ParsedExplainer:
    headline: str
    kicker: str = "Explainer"
    authors: list = field(default_factory=list)
    published_on: datetime.date | None = None
    caption: str = ""
    credit: str = ""
    lead: Body = field(default_factory=Body)
    sections: list = field(default_factory=list)
    contributed_by: str = ""
    original_url: str = ""
    report: list = field(default_factory=list)

    @property
    def slug(self):
        return slugify(self.headline)[:200].strip("-")

    @property
    def quotes(self):
        return self.lead.quotes + [q for s in self.sections for q in s.body.quotes]


@dataclass
class Paragraph:
    line: int
    text: str


KICKERS = {"explainer", "analysis", "q&a", "fact check", "factbox", "explained"}
MONTHS = (
    "january february march april may june july august september october november december".split()
)
MONTH_RE = (
    "|".join(m.capitalize() for m in MONTHS) + "|" + "|".join(m[:3].capitalize() for m in MONTHS)
)
DATE_PATTERNS = [
    (re.compile(rf"^(?P<month>{MONTH_RE})\.? (?P<day>\d{{1,2}}),? (?P<year>\d{{4}})$"), None),
    (re.compile(rf"^(?P<day>\d{{1,2}}) (?P<month>{MONTH_RE})\.? (?P<year>\d{{4}})$"), None),
    (re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})$"), "numeric"),
]
TERMINAL = tuple(".!?:;”\"’')»…>]")
# [words](address); the address may hold spaces or one level of parentheses, as hostile ones do.
LINK = re.compile(r"\[([^\]\n]+)\]\(\s*((?:[^()\n]|\([^()\n]*\))*?)\s*\)")
BOLD = re.compile(r"\*\*(.+?)\*\*")
QUOTED = re.compile(r"“([^”]*)”|\"([^\"]*)\"")
SPEECH_VERBS = r"said|says|told|added|stated|wrote|warned|insisted|explained"
NAME = r"[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'-]*)*"
ORG = r"[A-Z][\w’'-]*(?:\s+(?:(?:for|of|and|on|the|de|in)\s+)*[A-Z][\w’'-]*)*"
TITLE_WORDS = {
    "president",
    "minister",
    "prime",
    "chancellor",
    "secretary",
    "general",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "governor",
    "mayor",
    "senator",
    "king",
    "queen",
    "pope",
    "dr",
    "mr",
    "mrs",
    "ms",
    "defense",
    "defence",
    "foreign",
    "chief",
    "commander",
}
LEADING_WORDS = {
    "while",
    "the",
    "but",
    "and",
    "then",
    "when",
    "as",
    "in",
    "on",
    "at",
    "by",
    "for",
    "from",
    "according",
    "to",
    "of",
    "if",
    "a",
    "an",
    "that",
    "this",
    "though",
    "although",
    "after",
}
SOURCE_KINDS = [
    ("agency", Source.Kind.AGENCY),
    ("report", Source.Kind.REPORT),
    ("study", Source.Kind.REPORT),
    ("statement", Source.Kind.STATEMENT),
    ("newspaper", Source.Kind.PUBLICATION),
    ("magazine", Source.Kind.PUBLICATION),
    ("outlet", Source.Kind.PUBLICATION),
    ("broadcaster", Source.Kind.PUBLICATION),
    ("website", Source.Kind.PUBLICATION),
]


def decode(data):
    """Bytes of a file to text, refusing what is not a UTF-8 text file."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportProblem("contains a NUL byte; this looks like a binary file, not text", line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportProblem(
            f"is not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8", line
        ) from None
    return text


def parse_explainer(text):
    """Read explainer text (str, or bytes as read from a file) into a ParsedExplainer."""
    if isinstance(text, bytes):
        text = decode(text)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        for char in line:
            if char != "\t" and unicodedata.category(char) == "Cc":
                raise ImportProblem(
                    f"contains the control character U+{ord(char):04X}; remove it", number
                )
    if not text.strip():
        raise ImportProblem("The file is empty: there is no explainer to import.")
    return Reader(lines).read()


class Reader:
    def __init__(self, lines):
        self.report = []
        self.paragraphs = self.join_broken(self.split_paragraphs(lines))
        # Every paragraph's plain text, for looking up a speaker's full name and role; a photo
        # caption ("Belarus' President …") is the last place to look, after the story itself.
        self.all_text = [
            strip_markup(p.text)
            for p in sorted(self.paragraphs, key=lambda paragraph: "**" in paragraph.text)
        ]

    def note(self, line, message):
        self.report.append(f"line {line}: {message}")

    @staticmethod
    def split_paragraphs(lines):
        paragraphs, current, start = [], [], None
        for number, line in enumerate(lines, start=1):
            line = " ".join(line.replace("\u00a0", " ").replace("\u202f", " ").split())
            if line:
                if not current:
                    start = number
                current.append(line)
            elif current:
                paragraphs.append(Paragraph(start, " ".join(current)))
                current = []
        if current:
            paragraphs.append(Paragraph(start, " ".join(current)))
        return paragraphs

    def join_broken(self, paragraphs):
        """Join a paragraph broken in mid-sentence across a blank line with its second half."""
        joined = []
        for paragraph in paragraphs:
            previous = joined[-1] if joined else None
            if (
                previous
                and not previous.text.endswith(TERMINAL)
                and paragraph.text[:1].islower()
                and not is_heading_like(previous.text)
            ):
                self.note(
                    paragraph.line, f"joined to the paragraph broken off on line {previous.line}"
                )
                joined[-1] = Paragraph(previous.line, f"{previous.text} {paragraph.text}")
            else:
                joined.append(paragraph)
        return joined

    def read(self):
        paragraphs = list(self.paragraphs)
        first = paragraphs.pop(0)
        parsed = ParsedExplainer(headline="", report=self.report)
        self.read_headline(first, parsed)
        self.read_front_matter(paragraphs, parsed)
        self.read_body(paragraphs, parsed)
        self.check(parsed)
        self.report.sort(key=lambda entry: int(entry.split(":")[0].removeprefix("line ")))
        return parsed

    def read_headline(self, paragraph, parsed):
        headline = paragraph.text.lstrip("# ").strip()
        label, sep, rest = headline.partition(":")
        if sep and label.strip().lower() in KICKERS and rest.strip():
            parsed.kicker, headline = label.strip(), rest.strip()
            self.note(paragraph.line, f"“{parsed.kicker}:” taken as the kicker")
        limit = Article._meta.get_field("headline").max_length
        if len(headline) > limit:
            raise ImportProblem(
                f"the headline is {len(headline)} characters long; the limit is {limit}. "
                "Shorten it in the file (it is never cut automatically)",
                paragraph.line,
            )
        parsed.headline = headline

    def read_front_matter(self, paragraphs, parsed):
        """Byline, date and photo caption, in any order, each optional."""
        while paragraphs:
            paragraph = paragraphs[0]
            text = paragraph.text
            if re.match(r"^By\s+\S", text) and not parsed.authors:
                names = self.plain(text[2:].strip(), paragraph.line)
                parsed.authors = [
                    n.strip() for n in re.split(r",\s*|\s+and\s+", names) if n.strip()
                ]
                self.note(paragraph.line, "byline: " + ", ".join(parsed.authors))
            elif parsed.published_on is None and (day := self.read_date(paragraph)):
                parsed.published_on = day
                self.note(paragraph.line, f"publication date: {day.isoformat()}")
            elif match := re.match(r"^(?P<caption>.*?)\s*\*\*(?P<credit>[^*]+)\*\*\s*$", text):
                parsed.caption = self.plain(match["caption"], paragraph.line)
                parsed.credit = match["credit"].strip()
                self.note(paragraph.line, f"photo caption, credit “{parsed.credit}”")
            else:
                break
            paragraphs.pop(0)
        if not parsed.authors:
            self.note(1, "no byline found; the article has no author yet")
        if parsed.published_on is None:
            self.note(1, "no date line found; the article has no publication date yet")

    def read_date(self, paragraph):
        text = paragraph.text.strip()
        for pattern, numeric in DATE_PATTERNS:
            match = pattern.match(text)
            if not match:
                continue
            month = match["month"]
            month = (
                int(month)
                if numeric
                else MONTHS.index(next(m for m in MONTHS if m.startswith(month[:3].lower()))) + 1
            )
            try:
                return datetime.date(int(match["year"]), month, int(match["day"]))
            except ValueError:
                raise ImportProblem(f"“{text}” is not a date that exists", paragraph.line) from None
        return None

    def read_body(self, paragraphs, parsed):
        body, seen = parsed.lead, {}
        footer = False
        for index, paragraph in enumerate(paragraphs):
            text = paragraph.text
            if match := re.match(
                r"^(?P<who>.{1,100}?) contributed (?:reporting|to this report)\.?$", text
            ):
                parsed.contributed_by = match["who"].strip()
                footer = True
                continue
            if match := re.match(r"^Original (?:url|URL|link):?\s*(?P<url>\S*)$", text, re.I):
                url = match["url"]
                if not url and index + 1 < len(paragraphs):
                    url = paragraphs[index + 1].text
                    paragraphs[index + 1] = Paragraph(paragraphs[index + 1].line, "")
                self.read_original_url(url, paragraph.line, parsed)
                footer = True
                continue
            if not text:
                continue
            if footer:
                self.note(paragraph.line, "text after the footer ignored")
                continue
            question = self.read_question(paragraph)
            if question:
                key = question.casefold()
                if key in seen:
                    raise ImportProblem(
                        f"the question “{question}” is asked twice (first on line {seen[key]})",
                        paragraph.line,
                    )
                seen[key] = paragraph.line
                section = ParsedSection(paragraph.line, question)
                parsed.sections.append(section)
                body = section.body
                continue
            quote = self.read_quote(paragraph)
            if quote:
                quote.after_paragraph = len(body.paragraphs)
                body.quotes.append(quote)
                if quote.source:
                    self.cite(body, quote.source)
                continue
            self.read_citations(text, body, paragraph.line)
            if parsed.sections and is_heading_like(text) and len(text) <= 80:
                self.note(paragraph.line, f"“{text}” kept as a sub-heading within the answer")
                body.paragraphs.append(f"<p><strong>{html.escape(text)}</strong></p>")
                continue
            if not parsed.sections and text.endswith("?"):
                self.note(
                    paragraph.line, "paragraph ending in “?” kept in the lead (not a heading)"
                )
            body.paragraphs.append(f"<p>{self.inline_html(text, paragraph.line)}</p>")

    def read_original_url(self, url, line, parsed):
        url = url.strip().strip("<>")
        try:
            http_url(url)
        except ValidationError:
            raise ImportProblem(
                f"the original URL “{url}” is not an http:// or https:// address", line
            ) from None
        parsed.original_url = url

    def read_question(self, paragraph):
        text = paragraph.text.strip()
        numbered = re.match(r"^(?:Q(?:uestion)?\s*)?\d{1,2}\s*[.):]\s+(?P<q>.+)$", text)
        if numbered:
            text = numbered["q"].strip()
        text = text.strip("*# ").strip()
        if not text.endswith("?") or text[:1] in "“\"'‘":
            return None
        words = text.split()
        if len(words) > 25 or re.search(r"[.!?]\s+[A-Z“\"]", text[:-1]):
            return None
        if LINK.search(text):
            return None
        if text.upper() == text and any(c.isalpha() for c in text):
            text = self.sentence_case(text)
            self.note(paragraph.line, f"heading in capitals written as “{text}”")
        limit = QuestionSection._meta.get_field("question").max_length
        if len(text) > limit:
            raise ImportProblem(f"the question is longer than {limit} characters", paragraph.line)
        self.note(paragraph.line, f"question: {text}")
        return text

    def sentence_case(self, text):
        """Lower a heading in capitals, keeping the words the text itself writes capitalised."""
        proper = {}
        for para in self.all_text:
            for word in re.findall(r"(?<=[a-z,;] )([A-Z][\w’'-]+)", para):
                proper.setdefault(word.lower(), word)
        words = []
        for i, word in enumerate(text.lower().split()):
            core = word.rstrip("?,:")
            cased = proper.get(core, core.capitalize() if i == 0 else core)
            words.append(cased + word[len(core) :])
        return " ".join(words)

    def read_quote(self, paragraph):
        """A paragraph that opens with a direct quote and names its speaker becomes a Quote."""
        if paragraph.text[:1] not in '“"':
            return None
        text = self.plain(paragraph.text, paragraph.line)
        parts, position = [], 0
        for match in QUOTED.finditer(text):
            parts.append((False, text[position : match.start()]))
            parts.append((True, match.group(1) if match.group(1) is not None else match.group(2)))
            position = match.end()
        parts.append((False, text[position:]))
        words, attribution = [], []
        for is_quote, part in parts:
            part = part.strip()
            if not part:
                continue
            if is_quote and (not words or part[:1].isupper()):
                words.append(part)
            elif is_quote:
                attribution.append(f"“{part}”")
            else:
                attribution.append(part)
        attribution = " ".join(attribution).strip(" ,")
        speaker = self.read_attribution(attribution)
        if not speaker:
            self.note(paragraph.line, "quotation without a clear speaker kept as a paragraph")
            return None
        name, context = speaker
        source = None
        if match := re.search(r",?\s*according to (?P<phrase>[^,;]+?)[.,;]?$", context):
            source = self.source_from(match["phrase"])
            if source:
                context = context[: match.start()]
        context = context.strip(" ,.")
        full_name, role = self.identify(name)
        quote = ParsedQuote(
            line=paragraph.line,
            text=" ".join(finish_sentence(w) for w in words),
            speaker=full_name,
            role=role,
            context=context if len(context) <= 300 else "",
            source=source,
        )
        self.note(
            paragraph.line,
            f"quote by {full_name}"
            + (f" ({role})" if role else "")
            + (f", via {source.name}" if source else ""),
        )
        return quote

    @staticmethod
    def read_attribution(attribution):
        """(speaker as written, context) from the words around a quote, or None."""
        match = re.match(
            rf"^(?:{SPEECH_VERBS})\s+(?:[a-z][\w-]*\s+)*(?P<name>{NAME})(?P<rest>.*)$", attribution
        )
        if match:
            return match["name"].rstrip("."), match["rest"]
        match = re.match(
            rf"^(?P<name>{NAME})(?:,\s*[^,]+,)?\s+(?:{SPEECH_VERBS})\b(?P<rest>.*)$", attribution
        )
        if match and match["name"].lower() not in LEADING_WORDS:
            return match["name"], match["rest"]
        return None

    def identify(self, name):
        """The speaker's full name and role, looked up where the text first introduces them."""
        surname = name.split()[-1]
        pattern = re.compile(
            rf"(?P<role>(?:[A-Z][\w’'-]*\s+){{0,4}})(?P<given>[A-Z][\w’'-]+)\s+{re.escape(surname)}\b"
        )
        for text in self.all_text:
            for match in pattern.finditer(text):
                given, role_words = match["given"], match["role"].split()
                if given.lower() in TITLE_WORDS:
                    role_words.append(given)
                    given = ""
                while role_words and role_words[0].lower() in LEADING_WORDS:
                    role_words.pop(0)
                full = f"{given} {surname}" if given and len(name.split()) == 1 else name
                if role_words:
                    return full, " ".join(role_words)
        return name, ""

    def source_from(self, phrase):
        lowered = phrase.lower()
        kind = next((k for word, k in SOURCE_KINDS if word in lowered), None)
        if kind is None:
            return None  # "according to Muzyka": a person, not a source
        names = sorted(re.findall(ORG, phrase), key=len, reverse=True)
        if not names:
            return None
        # "Muzyka for the Estonia-based International Center…": the organisation follows "-based".
        name = re.sub(r"^.*?\b[\w’'-]+-based\s+", "", names[0])
        return ParsedSource(name=name, kind=kind)

    def read_citations(self, text, body, line):
        for match in re.finditer(r"according to (?P<phrase>[^,;.]+)", strip_markup(text)):
            source = self.source_from(match["phrase"])
            if source and self.cite(body, source):
                self.note(line, f"cites {source.name} ({Source.Kind(source.kind).label.lower()})")

    @staticmethod
    def cite(body, source):
        if any(s.name == source.name for s in body.sources):
            return False
        body.sources.append(source)
        return True

    def plain(self, text, line):
        """Text with its links reduced to their words (placeholders reported)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.inline_html(text, line)))

    def inline_html(self, text, line):
        """Escape a paragraph's text and turn its [text](url) links and **bold** into HTML."""
        out, position = [], 0
        for match in LINK.finditer(text):
            out.append(html.escape(text[position : match.start()], quote=False))
            words, url = match.group(1), match.group(2).strip()
            out.append(self.link(words, url, line))
            position = match.end()
        out.append(html.escape(text[position:], quote=False))
        return BOLD.sub(r"<strong>\1</strong>", "".join(out))

    def link(self, words, url, line):
        escaped = html.escape(words, quote=False)
        if url in ("", "#"):
            self.note(line, f"placeholder link “{words}”: add its address before publishing")
            # Kept as a link without an address: the draft's publish checklist lists it.
            return f'<a href="#">{escaped}</a>'

        # Browsers ignore whitespace, control characters and entity-encoding inside a scheme.
        scheme = re.sub(r"[\s\x00-\x1f]", "", html.unescape(url)).lower().split(":", 1)
        if len(scheme) == 2 and scheme[0] in {"http", "https", "mailto"}:
            return f'<a href="{html.escape(url)}">{escaped}</a>'
        self.note(
            line, f"link “{words}” to “{url}” removed: only http, https and mailto links are kept"
        )
        return escaped

    def check(self, parsed):
        if not parsed.sections:
            raise ImportProblem(
                "no question headings found: an explainer needs at least one question on a line "
                "of its own, ending in “?”"
            )
        for section in parsed.sections:
            if not section.body.paragraphs and not section.body.quotes:
                raise ImportProblem(
                    f"the question “{section.question}” has no answer", section.line
                )


def strip_markup(text):
    return BOLD.sub(r"\1", LINK.sub(r"\1", text))


def is_heading_like(text):
    """A short line with no closing punctuation: a heading rather than a broken sentence."""
    return (
        not text.endswith(TERMINAL)
        and len(text) <= 80
        and text[:1].isupper()
        and len(text.split()) <= 10
    )


def finish_sentence(words):
    """A quoted fragment as a sentence: the comma before "…, he said" becomes a full stop."""
    words = words.strip()
    if words.endswith(","):
        words = words[:-1]
    if not words.endswith((".", "!", "?", "…")):
        words += "."
    return words


@dataclass
class ImportResult:
    article: Article
    created: bool
    report: list


def existing_article(parsed):
    """The article imported before from the same text (same original URL or headline), if any."""
    return (
        parsed.original_url and Article.objects.filter(original_url=parsed.original_url).first()
    ) or Article.objects.filter(slug=parsed.slug).first()


@transaction.atomic
def save_explainer(parsed, *, publish=False, user=None):
    """Create the article, or update the one imported before from the same file, in one go.

    The result is recorded as a revision (by `user`, who is also recorded as the creator of a
    new article), like every save from the admin.
    """
    existing = Article.objects.filter(slug=parsed.slug).values_list("pk", flat=True).first()
    before = pagecache.article_groups(existing) if existing else set()
    with reversion.create_revision():
        reversion.set_comment("Imported from plain text.")
        if user is not None:
            reversion.set_user(user)
        result = write_explainer(parsed, publish, user)
    pagecache.invalidate_article(result.article.pk, before=before)
    return result


def write_explainer(parsed, publish, user=None):
    article = existing_article(parsed)
    created = article is None
    if created:
        article = Article(slug=parsed.slug, created_by=user)
    else:
        article.sections.all().delete()
        article.quotes.all().delete()
        article.bylines.all().delete()
    # Placeholder links stay in a draft, for its editor to fill in; anything going out now, or
    # already out, gets their words as plain text.
    if publish or article.status != Article.Status.DRAFT:
        finish = unlink_placeholders
    else:
        finish = str
    article.kicker = parsed.kicker
    article.headline = parsed.headline
    article.lead = finish("".join(parsed.lead.paragraphs))
    article.hero_caption = parsed.caption
    article.hero_credit = parsed.credit
    article.contributed_by = parsed.contributed_by
    article.original_url = parsed.original_url
    if parsed.published_on and (created or article.status == Article.Status.DRAFT):
        # The file gives a day, not a time: noon keeps the day the same in nearby time zones.
        article.published_at = timezone.make_aware(
            datetime.datetime.combine(parsed.published_on, datetime.time(12))
        )
    article.save()

    for position, name in enumerate(parsed.authors):
        author, _ = Author.objects.get_or_create(slug=slugify(name)[:200], defaults={"name": name})
        Byline.objects.create(article=article, author=author, position=position)
    article.lead_sources.set(source_record(s) for s in parsed.lead.sources)
    make_quotes(article, None, parsed.lead.quotes)
    for position, parsed_section in enumerate(parsed.sections, start=1):
        section = QuestionSection.objects.create(
            article=article,
            position=position,
            question=parsed_section.question,
            answer=finish("".join(parsed_section.body.paragraphs)),
        )
        section.sources.set(source_record(s) for s in parsed_section.body.sources)
        make_quotes(article, section, parsed_section.body.quotes)

    if publish:
        problems = article.publish_problems()
        if problems:
            raise ImportProblem("cannot publish: " + " ".join(problems))
        article.status = Article.Status.PUBLISHED
    if created and article.published_at and article.published_at <= timezone.now():
        # The text is the article as first published: it has not been updated since.
        article.save()
        Article.objects.filter(pk=article.pk).update(updated_at=article.published_at)
        article.refresh_from_db()
    elif publish:
        article.save()
    return ImportResult(article, created, parsed.report)


def source_record(parsed_source):
    source, _ = Source.objects.get_or_create(
        name=parsed_source.name, url="", defaults={"kind": parsed_source.kind}
    )
    return source


def make_quotes(article, section, quotes):
    for position, quote in enumerate(quotes):
        speaker, _ = Speaker.objects.get_or_create(
            slug=slugify(quote.speaker)[:200],
            defaults={"name": quote.speaker, "usual_role": quote.role},
        )
        Quote.objects.create(
            article=article,
            section=section,
            position=position,
            after_paragraph=quote.after_paragraph,
            text=quote.text,
            speaker=speaker,
            speaker_role=quote.role,
            source=source_record(quote.source) if quote.source else None,
            context=quote.context,
        )
