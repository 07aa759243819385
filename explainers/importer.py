"""
Read an explainer written as plain text (the format of explainers/demo/*.txt) into an Article.

The format, as newsrooms paste it: a headline (a leading "Explainer:" becomes the kicker), a
"By [Name](#)" byline, a date line, a photo caption with the credit in **bold**, lead paragraphs,
question headings on their own lines each followed by answer paragraphs, [text](url) links,
"X contributed reporting." and an "Original url:" footer.

Russian explainers are read into the same structure: "Объясняем:" kickers, "Автор:" bylines,
dates as "11 октября 2022 г.", «ёлочки» and „лапки“ quotes attributed with a dash ("— сказал
Лукашенко", "— заявил министр обороны Виктор Хренин"), sources "по данным агентства БелТА" and
"как сообщает ТАСС", and "При участии …" / "Оригинал:" footers. The language is the one most of
the text's letters are written in (Cyrillic: Russian), unless the caller names it.

`parse_explainer()` only reads: it returns a ParsedExplainer, with a report of every decision it
made (Notes, each with its line and kind), or raises ImportProblem naming the line and the
problem. `save_explainer()` writes the result in one transaction, updating the article if it was
imported before, and applies what the importing user's role allows (explainers.workflow decides):
the model signals carry the write to the page cache and documents. `import_file()` does both for
a file, for the management commands.

Limits, the same for pasted text and uploaded or command-line files:

- MAX_BYTES (1,000,000): the most an explainer may be, in bytes of UTF-8 (a str is measured
  encoded). Anything larger is refused before it is read, with its size and the limit.
- MAX_PARAGRAPH (10,000 characters): the longest paragraph, after lines broken mid-sentence are
  joined. A longer one is refused with its line: it is a missing blank line or not an explainer.
- Reading is linear in the size of the text, whatever it holds: no pattern here or in
  explainers.attribution can backtrack more than linearly, and nothing reads the whole text once
  per paragraph. tests/test_importer.py times a megabyte of hostile text against 64 KB of it.

A short line where the date is expected (among the byline and caption, before the lead) made of
numbers and month or weekday names, which no date format reads ("11 Octobre 2022", "Oct 41,
2022", "2022-13-01"), is refused with its line rather than kept as a lead paragraph.
"""

import datetime
import html
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import reversion
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from . import attribution, workflow
from .attribution import Introductions, ParsedSource
from .models import Article, Author, Byline, QuestionSection, Quote, Source, Speaker, http_url
from .richtext import address_problem, link_address, unlink_placeholders

MAX_BYTES = 1_000_000
MAX_PARAGRAPH = 10_000


class ImportProblem(Exception):
    """Text the importer refuses. `message` says what is wrong, `line` where (None: the text as
    a whole), `path` in which file (set by import_file); str() gives "path: line N: message"."""

    def __init__(self, message, line=None, path=None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.path = path

    def __str__(self):
        text = f"line {self.line}: {self.message}" if self.line else self.message
        return f"{self.path}: {text}" if self.path else text


@dataclass(frozen=True)
class Note:
    """One decision of the importer, for the person importing to check.

    `kind` says what it is about, so that readers pick notes without parsing the message:
    "kicker", "byline", "date", "caption", "joined" (a paragraph broken mid-sentence), "question",
    "heading" (a heading in capitals, or a sub-heading kept in an answer), "lead" (a "?" paragraph
    kept in the lead), "quote", "unattributed" (a quotation kept as a paragraph), "source",
    "placeholder" (a link with no address yet), "removed" (a link not kept), "skipped" (text after
    the footer), "missing" (no byline, no date), "language" (the one the text is read in) and
    "role" (what the importing user's role left out when saving).
    """

    line: int | None
    message: str
    kind: str

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line else self.message


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
    language: str = ""
    authors: list = field(default_factory=list)
    published_on: datetime.date | None = None
    caption: str = ""
    credit: str = ""
    lead: Body = field(default_factory=Body)
    sections: list = field(default_factory=list)
    contributed_by: str = ""
    original_url: str = ""
    report: list = field(default_factory=list)
    # Where each part was read, for messages that point at it.
    headline_line: int = 1
    byline_line: int | None = None
    date_line: int | None = None
    original_url_line: int | None = None

    # The address another system gave it (a WordPress post's slug), kept rather than made anew.
    given_slug: str = ""

    @property
    def slug(self):
        return self.given_slug or slugify(self.headline, allow_unicode=True)[:200].strip("-")

    @property
    def quotes(self):
        return self.lead.quotes + [q for s in self.sections for q in s.body.quotes]

    @property
    def placeholders(self):
        """The notes on links with no address yet, to fill in before publishing."""
        return [note for note in self.report if note.kind == "placeholder"]


@dataclass
class Paragraph:
    line: int
    text: str


KICKERS = {"explainer", "analysis", "q&a", "fact check", "factbox", "explained"}
KICKERS |= {"объясняем", "объяснение", "разбор", "анализ", "вопросы и ответы", "что известно"}
MONTHS = (
    "january february march april may june july august september october november december".split()
)
MONTH_RE = (
    "|".join(m.capitalize() for m in MONTHS) + "|" + "|".join(m[:3].capitalize() for m in MONTHS)
)
# Russian dates name the month in the genitive: "11 октября 2022 г." ("года" written out).
RUSSIAN_MONTHS = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()
)
DATE_PATTERNS = [
    (re.compile(rf"(?P<month>{MONTH_RE})\.? (?P<day>\d{{1,2}}),? (?P<year>\d{{4}})"), None),
    (re.compile(rf"(?P<day>\d{{1,2}}) (?P<month>{MONTH_RE})\.? (?P<year>\d{{4}})"), None),
    (re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"), "numeric"),
    (
        re.compile(
            rf"(?P<day>\d{{1,2}}) (?P<month>{'|'.join(RUSSIAN_MONTHS)}) (?P<year>\d{{4}})"
            r"(?: ?г\.?| года)?",
            re.I,
        ),
        "russian",
    ),
    (re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})(?: ?г\.?)?"), "numeric"),
]
# The words of a date line that no pattern reads: a month in any language that starts it as
# English does ("Octobre", "Sept."), weekdays, ordinals ("11th") and the few words around them.
MONTH_PREFIXES = {m[:3] for m in MONTHS}
DATE_WORDS = {"st", "nd", "rd", "th", "of", "de", "the", "on", "published", "updated"}
DATE_WORDS |= {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
DATE_WORDS |= {"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"}
MONTH_PREFIXES |= {m[:3] for m in RUSSIAN_MONTHS} | {"май"}
DATE_WORDS |= {"г", "года", "год", "опубликовано", "обновлено"}
YEAR = re.compile(r"(?<!\d)(?:1[89]|2[01])\d\d(?!\d)")
LONGEST_DATE_LINE = 40
TERMINAL = tuple(".!?:;”\"’')»…>]")
# [words](address). The words hold no bracket, so a "[" that nothing closes is given up at the
# next one instead of read to the end of the line from each. The address may hold spaces or one
# level of parentheses, as hostile ones do; it is matched possessively, so nothing is tried twice.
LINK = re.compile(r"\[([^\[\]\n]++)\]\(((?:[^()\n]++|\([^()\n]*+\))*+)\)")
# Lazy, **bold** ends at the first closing "**": only a "**" with none after it fails, once.
BOLD = re.compile(r"\*\*(.+?)\*\*")
CAPTION = re.compile(r"(?P<caption>.*?)\s*+\*\*(?P<credit>[^*]++)\*\*\s*+", re.S)
# Unicode's control characters (category Cc) but the tab; line breaks are split off before.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
TAG = re.compile(r"<[^<>]++>")
PROPER_WORD = re.compile(r"(?<=[a-zа-яё,;] )([A-ZА-ЯЁ][\w’'-]++)")
# The byline: "By Name and Name", "Автор: Имя Фамилия", "Авторы: … и …".
BYLINE = re.compile(r"(?:By\s++|(?:Автор|Авторы|Текст)\s*+:\s*+)(?=\S)")
AUTHOR_SEPARATOR = re.compile(r",\s*|\s+(?:and|и)\s+")
CONTRIBUTED = re.compile(
    r"(?P<who>.{1,100}?) contributed (?:reporting|to this report)\.?"
    r"|(?:При участии|В подготовке материала (?:участвовали|участвовала|участвовал))\s++"
    r"(?P<who_ru>.{1,100}?)\.?"
)
ORIGINAL_URL = re.compile(
    r"(?:Original (?:url|link)|Оригинал|Ссылка на оригинал):?\s*+(?P<url>\S*+)", re.I
)
NUMBERED = re.compile(r"(?:Q(?:uestion)?\s*+|Вопрос\s*+)?\d{1,2}\s*+[.):]\s++(?P<q>.+)")
SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-ZА-ЯЁ“\"«„]")
# The marks a paragraph opening with a direct quote starts with.
QUOTE_OPENERS = '“"«„'
# The kicker a Russian explainer gets when its text names none.
DEFAULT_KICKERS = {"ru": "Объясняем"}


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


def too_large(size, limit=MAX_BYTES, what="an explainer"):
    return ImportProblem(
        f"The text is {size:,} bytes; {what} is at most {limit:,} bytes. Check that this is {what}."
    )


def check_size(text):
    """Refuse text over MAX_BYTES: bytes as they are, a str as its UTF-8 encoding."""
    if isinstance(text, bytes):
        size = len(text)
    elif len(text) * 4 <= MAX_BYTES:
        return  # No character takes more than four bytes.
    else:
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise too_large(size)


def detect_language(text):
    """The newsroom's language the text is written in: Russian when most of its first letters
    are Cyrillic (and Russian is one of LANGUAGES), otherwise the site's own."""
    from django.conf import settings

    sample = text[:20_000]
    cyrillic = sum(1 for c in sample if "\u0400" <= c <= "\u04ff")
    latin = sum(1 for c in sample if c.isascii() and c.isalpha())
    if cyrillic > latin and "ru" in dict(settings.LANGUAGES):
        return "ru"
    return settings.NEWSROOM_LANGUAGE


def check_language(language):
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        known = ", ".join(code for code, _ in settings.LANGUAGES)
        raise ImportProblem(f"“{language}” is not one of the newsroom's languages ({known})")
    return language


def parse_explainer(text, language=None):
    """Read explainer text (str, or bytes as read from a file) into a ParsedExplainer, in
    `language` (a code of settings.LANGUAGES), or the one detect_language() finds."""
    if language:
        check_language(language)
    check_size(text)
    if isinstance(text, bytes):
        text = decode(text)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if control := CONTROL.search(text):
        raise ImportProblem(
            f"contains the control character U+{ord(control[0]):04X}; remove it",
            text.count("\n", 0, control.start()) + 1,
        )
    if not text.strip():
        raise ImportProblem("The file is empty: there is no explainer to import.")
    detected = not language
    language = language or detect_language(text)
    parsed = Reader(text.split("\n"), language).read()
    how = "detected from the text" if detected else "as asked"
    parsed.report.insert(0, Note(None, f"language: {language} ({how})", "language"))
    return parsed


class Reader:
    def __init__(self, lines, language="en"):
        self.language = language
        self.report = []
        self.paragraphs = self.join_broken(self.split_paragraphs(lines))
        # Every paragraph's plain text, for looking up a speaker's full name and role; a photo
        # caption ("Belarus' President …") is the last place to look, after the story itself.
        self.all_text = [
            strip_markup(p.text)
            for p in sorted(self.paragraphs, key=lambda paragraph: "**" in paragraph.text)
        ]
        self.introductions = Introductions(self.all_text, require_role=language != "ru")

    def note(self, line, message, kind):
        self.report.append(Note(line, message, kind))

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
        """Join a paragraph broken in mid-sentence across a blank line with its second half.

        The halves are gathered and joined once: joining them two by two copies the text again
        for every half, which a file of a thousand broken lines turns into minutes.
        """
        joined = []  # [first line, parts, length]
        for paragraph in paragraphs:
            previous = joined[-1] if joined else None
            if (
                previous
                and not previous[1][-1].endswith(TERMINAL)
                and paragraph.text[:1].islower()
                and not (previous[2] <= 80 and is_heading_like(" ".join(previous[1])))
            ):
                self.note(
                    paragraph.line,
                    f"joined to the paragraph broken off on line {previous[0]}",
                    "joined",
                )
                previous[1].append(paragraph.text)
                previous[2] += 1 + len(paragraph.text)
            else:
                joined.append([paragraph.line, [paragraph.text], len(paragraph.text)])
            if joined[-1][2] > MAX_PARAGRAPH:
                raise ImportProblem(
                    f"this paragraph is more than {MAX_PARAGRAPH:,} characters long, the most an "
                    "explainer's paragraph may be: is a blank line missing between paragraphs?",
                    joined[-1][0],
                )
        return [Paragraph(line, " ".join(parts)) for line, parts, _ in joined]

    def read(self):
        paragraphs = list(self.paragraphs)
        first = paragraphs.pop(0)
        parsed = ParsedExplainer(headline="", report=self.report, language=self.language)
        parsed.kicker = DEFAULT_KICKERS.get(self.language, parsed.kicker)
        self.read_headline(first, parsed)
        self.read_front_matter(paragraphs, parsed)
        self.read_body(paragraphs, parsed)
        self.check(parsed)
        self.report.sort(key=lambda note: note.line or 0)
        return parsed

    def read_headline(self, paragraph, parsed):
        headline = paragraph.text.lstrip("# ").strip()
        label, sep, rest = headline.partition(":")
        if sep and label.strip().lower() in KICKERS and rest.strip():
            parsed.kicker, headline = label.strip(), rest.strip()
            self.note(paragraph.line, f"“{parsed.kicker}:” taken as the kicker", "kicker")
        limit = Article._meta.get_field("headline").max_length
        if len(headline) > limit:
            raise ImportProblem(
                f"the headline is {len(headline)} characters long; the limit is {limit}. "
                "Shorten it in the file (it is never cut automatically)",
                paragraph.line,
            )
        parsed.headline = headline
        parsed.headline_line = paragraph.line

    def read_front_matter(self, paragraphs, parsed):
        """Byline, date and photo caption, in any order, each optional."""
        while paragraphs:
            paragraph = paragraphs[0]
            text = paragraph.text
            if (byline := BYLINE.match(text)) and not parsed.authors:
                names = self.plain(text[byline.end() :].strip(), paragraph.line)
                parsed.authors = [n.strip() for n in AUTHOR_SEPARATOR.split(names) if n.strip()]
                parsed.byline_line = paragraph.line
                self.note(paragraph.line, "byline: " + ", ".join(parsed.authors), "byline")
            elif parsed.published_on is None and (day := self.read_date(paragraph)):
                parsed.published_on = day
                parsed.date_line = paragraph.line
                self.note(paragraph.line, f"publication date: {day.isoformat()}", "date")
            elif match := CAPTION.fullmatch(text):
                parsed.caption = self.plain(match["caption"], paragraph.line)
                parsed.credit = match["credit"].strip()
                self.note(paragraph.line, f"photo caption, credit “{parsed.credit}”", "caption")
            elif parsed.published_on is None and looks_like_a_date(text):
                raise ImportProblem(
                    f"“{text}” looks like the date line, but is not a date the importer reads: "
                    "write it like “October 11, 2022”, “11 October 2022”, “2022-10-11” or "
                    "“11 октября 2022 г.”",
                    paragraph.line,
                )
            else:
                break
            paragraphs.pop(0)
        if not parsed.authors:
            self.note(1, "no byline found; the article has no author yet", "missing")
        if parsed.published_on is None:
            self.note(1, "no date line found; the article has no publication date yet", "missing")

    def read_date(self, paragraph):
        text = paragraph.text.strip()
        for pattern, numeric in DATE_PATTERNS:
            match = pattern.fullmatch(text)
            if not match:
                continue
            month = match["month"]
            if numeric == "russian":
                month = RUSSIAN_MONTHS.index(month.lower()) + 1
            elif numeric:
                month = int(month)
            else:
                month = MONTHS.index(next(m for m in MONTHS if m.startswith(month[:3].lower()))) + 1
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
            if match := CONTRIBUTED.fullmatch(text):
                parsed.contributed_by = (match["who"] or match["who_ru"]).strip()
                footer = True
                continue
            if match := ORIGINAL_URL.fullmatch(text):
                url, line = match["url"], paragraph.line
                if not url and index + 1 < len(paragraphs):
                    url, line = paragraphs[index + 1].text, paragraphs[index + 1].line
                    paragraphs[index + 1] = Paragraph(line, "")
                self.read_original_url(url, line, parsed)
                footer = True
                continue
            if not text:
                continue
            if footer:
                self.note(paragraph.line, "text after the footer ignored", "skipped")
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
                self.note(
                    paragraph.line, f"“{text}” kept as a sub-heading within the answer", "heading"
                )
                body.paragraphs.append(f"<p><strong>{html.escape(text)}</strong></p>")
                continue
            if not parsed.sections and text.endswith("?"):
                self.note(
                    paragraph.line,
                    "paragraph ending in “?” kept in the lead (not a heading)",
                    "lead",
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
        parsed.original_url_line = line

    def read_question(self, paragraph):
        text = paragraph.text.strip()
        numbered = NUMBERED.fullmatch(text)
        if numbered:
            text = numbered["q"].strip()
        text = text.strip("*# ").strip()
        if not text.endswith("?") or text[:1] in QUOTE_OPENERS + "'‘":
            return None
        words = text.split()
        if len(words) > 25 or SENTENCE_BREAK.search(text[:-1]):
            return None
        if LINK.search(text):
            return None
        if text.upper() == text and any(c.isalpha() for c in text):
            text = self.sentence_case(text)
            self.note(paragraph.line, f"heading in capitals written as “{text}”", "heading")
        limit = QuestionSection._meta.get_field("question").max_length
        if len(text) > limit:
            raise ImportProblem(f"the question is longer than {limit} characters", paragraph.line)
        self.note(paragraph.line, f"question: {text}", "question")
        return text

    @cached_property
    def proper_words(self):
        """The words the text writes capitalised in mid-sentence (names), by their lower case."""
        proper = {}
        for para in self.all_text:
            for word in PROPER_WORD.findall(para):
                proper.setdefault(word.lower(), word)
        return proper

    def sentence_case(self, text):
        """Lower a heading in capitals, keeping the words the text itself writes capitalised."""
        words = []
        for i, word in enumerate(text.lower().split()):
            core = word.rstrip("?,:")
            cased = self.proper_words.get(core, core.capitalize() if i == 0 else core)
            words.append(cased + word[len(core) :])
        return " ".join(words)

    def read_quote(self, paragraph):
        """A paragraph that opens with a direct quote and names its speaker becomes a Quote."""
        if paragraph.text[:1] not in QUOTE_OPENERS:
            return None
        words, around = attribution.split_quote(self.plain(paragraph.text, paragraph.line))
        found = attribution.attribute(around, self.introductions, self.language)
        if not found:
            self.note(
                paragraph.line,
                "quotation without a clear speaker kept as a paragraph",
                "unattributed",
            )
            return None
        quote = ParsedQuote(
            line=paragraph.line,
            text=" ".join(finish_sentence(w) for w in words),
            speaker=found.speaker,
            role=found.role,
            context=found.context if len(found.context) <= 300 else "",
            source=found.source,
        )
        self.note(
            paragraph.line,
            f"quote by {found.speaker}"
            + (f" ({found.role})" if found.role else "")
            + (f", via {found.source.name}" if found.source else ""),
            "quote",
        )
        return quote

    def read_citations(self, text, body, line):
        for source in attribution.cited_sources(strip_markup(text), self.language):
            if self.cite(body, source):
                kind = Source.Kind(source.kind).label.lower()
                self.note(line, f"cites {source.name} ({kind})", "source")

    @staticmethod
    def cite(body, source):
        if any(s.name == source.name for s in body.sources):
            return False
        body.sources.append(source)
        return True

    def plain(self, text, line):
        """Text with its links reduced to their words (placeholders reported)."""
        return html.unescape(TAG.sub("", self.inline_html(text, line)))

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
            self.note(
                line,
                f"placeholder link “{words}”: add its address before publishing",
                "placeholder",
            )
            # Kept as a link without an address: the draft's publish checklist lists it.
            return f'<a href="#">{escaped}</a>'

        # The admin's rule for a link typed in its editor (richtext): an address with no scheme
        # gets https://; one it would refuse is not kept, and the note says why.
        address = link_address(url)
        problem = address_problem(words, address)
        if problem is None:
            return f'<a href="{html.escape(address)}">{escaped}</a>'
        self.note(line, f"{problem} The link was removed; its words are kept.", "removed")
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


def looks_like_a_date(text):
    """A short line of numbers and date words with a year or a month in it: a date line that
    did not parse ("11 Octobre 2022"), rather than a lead paragraph ("In 1999, it began.")."""
    if len(text) > LONGEST_DATE_LINE or text.endswith("?") or not any(c.isdigit() for c in text):
        return False
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", text)]
    if not all(is_month(w) or w in DATE_WORDS for w in words):
        return False
    return any(is_month(w) for w in words) or YEAR.search(text) is not None


def is_month(word):
    """A month's name or its start ("oct", "October", "Octobre", "Sept"), not only in English."""
    return word[:3] in MONTH_PREFIXES and len(word) <= len("septembre")


def finish_sentence(words):
    """A quoted fragment as a sentence: the comma before "…, he said" becomes a full stop."""
    words = words.strip()
    if words.endswith(","):
        words = words[:-1]
    if not words.endswith((".", "!", "?", "…")):
        words += "."
    return words


# Saving.


@dataclass
class ImportResult:
    article: Article
    created: bool
    report: list


def existing_article(parsed, user=None):
    """The article imported before from the same text (same original URL or headline, in the
    same language), if any.

    Found whoever is importing, seen by them or not, so that nobody imports a second copy:
    duplicate_message() says what they may be told about it. A text matching an article in
    another language (a translation of it, or one with the same address) is refused: an import
    never turns an article into another language's, and a translation is made from its
    original's page.
    """
    matching = [("headline", Article.objects.filter(slug=parsed.slug))]
    if parsed.original_url:
        matching.insert(
            0, ("original URL", Article.objects.filter(original_url=parsed.original_url))
        )
    for what, articles in matching:
        found = articles.first()
        if found is None:
            continue
        if parsed.language and found.language != parsed.language:
            raise ImportProblem(
                f"an article in another language ({found.language}) already has this {what}; "
                "to add this text as its translation, use “Translate into …” on that article's "
                "page, or change the headline to import it as a new article"
            )
        return found
    return None


def duplicate_message(parsed, existing, user=None):
    """Why the text is not imported as a new article: which of its lines matched `existing`,
    and — only if `user` may see that article — its headline and status."""
    by_url = bool(parsed.original_url) and existing.original_url == parsed.original_url
    if by_url:
        what, line = "this original URL", parsed.original_url_line
    else:
        what, line = "this headline", parsed.headline_line
    where = f" (line {line})" if line else ""
    if user is not None and not workflow.can_view(user, existing):
        return f"An article with {what} already exists{where}; ask an editor."
    advice = "edit that article"
    if not by_url:
        advice += ", or change the headline to import this as a new one"
    status = existing.get_status_display().lower()
    return f"“{existing.headline}” already exists ({status}) with {what}{where}: {advice}."


def missing_authors(parsed):
    """The byline's names that match no Author yet."""
    slugs = {author_slug(name): name for name in parsed.authors}
    known = set(Author.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    return [name for slug, name in slugs.items() if slug not in known]


def role_notes(parsed, user):
    """What `user`'s role keeps save_explainer() from applying, as Notes: shown before saving
    (the admin's preview) and reported after it. None for user=None: an admin at the shell."""
    if user is None:
        return []
    notes = []
    if parsed.published_on and not workflow.may_set_publication_date(user):
        notes.append(
            Note(
                parsed.date_line,
                f"the date line ({parsed.published_on.isoformat()}) was not applied: "
                "an editor sets the publication date",
                "role",
            )
        )
    if not workflow.may_add_author(user):
        notes.extend(
            Note(
                parsed.byline_line,
                f"no author “{name}” exists, so the byline leaves the name out: "
                "an admin adds authors",
                "role",
            )
            for name in missing_authors(parsed)
        )
    return notes


@transaction.atomic
def save_explainer(parsed, *, publish=False, user=None):
    """Create the article, or update the one imported before from the same file, in one go.

    The result is recorded as a revision (by `user`, who is also recorded as the creator of a
    new article), like every save from the admin. With a `user` (the admin's import page), their
    role decides, through explainers.workflow: who may not publish gets NotAllowed, and a date
    line or new authors they may not set are left out, with a Note in the result's report.
    Without one (the management commands) the importer acts as an admin.
    """
    if publish and user is not None and not workflow.can_publish(user):
        raise workflow.NotAllowed("Only an editor may publish; import it as a draft.")
    existing = existing_article(parsed, user)
    if existing and user is not None and not workflow.can_edit(user, existing):
        raise workflow.NotAllowed(duplicate_message(parsed, existing, user))
    notes = role_notes(parsed, user)
    with reversion.create_revision():
        reversion.set_comment("Imported from plain text.")
        if user is not None:
            reversion.set_user(user)
        article, created = write_explainer(parsed, publish, user, existing)
    return ImportResult(article, created, parsed.report + notes)


def write_explainer(parsed, publish, user, article):
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
    if created:
        article.language = parsed.language or article.language
    article.headline = parsed.headline
    article.lead = finish("".join(parsed.lead.paragraphs))
    article.hero_caption = parsed.caption
    article.hero_credit = parsed.credit
    article.contributed_by = parsed.contributed_by
    article.original_url = parsed.original_url
    may_date = user is None or workflow.may_set_publication_date(user)
    if may_date and parsed.published_on and (created or article.status == Article.Status.DRAFT):
        # The file gives a day, not a time: noon keeps the day the same in nearby time zones.
        article.published_at = timezone.make_aware(
            datetime.datetime.combine(parsed.published_on, datetime.time(12))
        )
    article.save()

    may_add = user is None or workflow.may_add_author(user)
    authors = []
    for name in parsed.authors:
        if may_add:
            author, _ = Author.objects.get_or_create(
                slug=author_slug(name), defaults={"name": name}
            )
        else:
            author = Author.objects.filter(slug=author_slug(name)).first()
        if author is not None:
            authors.append(author)
    for position, author in enumerate(authors):
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
    return article, created


def author_slug(name):
    return slugify(name, allow_unicode=True)[:200]


def source_record(parsed_source):
    source, _ = Source.objects.get_or_create(
        name=parsed_source.name, url="", defaults={"kind": parsed_source.kind}
    )
    return source


def make_quotes(article, section, quotes):
    for position, quote in enumerate(quotes):
        speaker, _ = Speaker.objects.get_or_create(
            slug=slugify(quote.speaker, allow_unicode=True)[:200],
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


# Files, for the management commands.


def read_file(path, limit=MAX_BYTES, what="an explainer"):
    """The bytes of a file, refusing one that cannot be read or is over `limit` unread."""
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
            size = max(len(data), path.stat().st_size)
    except OSError as error:
        raise ImportProblem(f"cannot read the file ({error.strerror or error}).") from None
    if size > limit:
        raise too_large(size, limit, what)
    return data


def import_file(path, *, publish=False, dry_run=False, user=None, language=None):
    """Read, parse and (unless `dry_run`) save one file: (ParsedExplainer, ImportResult or None).

    Every problem, a file that cannot be read included, is an ImportProblem naming the file; the
    caller reports it and the result (the commands print, with their verbosity).
    """
    path = Path(path)
    try:
        parsed = parse_explainer(read_file(path), language)
        result = None if dry_run else save_explainer(parsed, publish=publish, user=user)
    except ImportProblem as problem:
        problem.path = problem.path or path
        raise
    return parsed, result
