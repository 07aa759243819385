"""
Who said a quote, in what role, and on whose report: the heuristics the importer uses to turn

    “…,” Lukashenko, a close ally of Putin, said on Monday, according to state news agency Belta.

into a speaker ("Alexander Lukashenko", looked up where the story introduces him), a role
("Belarusian President"), a context ("on Monday") and a source (Belta, an agency).

They read English news prose: "X said", "said X", "according to …", and Russian: a quote in
«ёлочки» or „лапки“ followed by a dash, a speech verb and the speaker, with their role before the
name ("— заявил министр обороны Беларуси Виктор Хренин"), and sources "по данным агентства
БелТА", "как сообщает ТАСС". Anything else — a quote with no speech verb — gives no speaker, and
the importer keeps the paragraph as written. Hostile text must not make them slow: every pattern runs in time linear in its input
(repetition is possessive, so nothing is tried twice), and a speaker's role comes from an index of
the article's introductions, its words read once, not from searching the whole text per quote.
"""

import re
from dataclasses import dataclass

from .models import Source

SPEECH_VERBS = r"said|says|told|added|stated|wrote|warned|insisted|explained"
# A person as quotes name them: capitalised words ("Lukashenko", "Konrad Muzyka").
NAME = r"[A-Z][\w’'.-]*+(?:\s+[A-Z][\w’'-]*+)*+"
# An organisation: capitalised words, with the small words of "Center for Security and Defense".
ORG = r"[A-Z][\w’'-]*+(?:\s+(?:(?:for|of|and|on|the|de|in)\s+)*+[A-Z][\w’'-]*+)*+"
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
# Capitalised because they open a sentence or a clause, not because they are part of a name.
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
# A word in the phrase after "according to" that makes it a source rather than a person.
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

SAID_NAME = re.compile(
    rf"(?:{SPEECH_VERBS})\s+(?:[a-z][\w-]*+\s+)*+(?P<name>{NAME})(?P<rest>.*)", re.S
)
NAME_SAID = re.compile(
    rf"(?P<name>{NAME})(?:,\s*+[^,]++,)?\s+(?:{SPEECH_VERBS})\b(?P<rest>.*)", re.S
)
ORG_RE = re.compile(ORG)
CITATION = re.compile(r"according to ([^,;.]++)")
BASED = re.compile(r"(?<=[\w’'-])-based\s+")
CAPITALISED = re.compile(r"(?=[^\W\d_])[\w’'-]*")
# Longer than this, a "word" is not part of anyone's name or title: it is not looked at.
LONGEST_NAME_WORD = 60


@dataclass
class ParsedSource:
    name: str
    kind: str


@dataclass
class Attribution:
    speaker: str
    role: str = ""
    context: str = ""
    source: ParsedSource | None = None


def split_quote(text):
    """(the quoted sentences, the words around them) for a paragraph that opens with a quote.

    A quoted passage that starts in lower case continues the sentence around it ("… called for
    observers “to monitor the situation.”"), so it belongs to the attribution, not the quote.
    """
    parts, position = [], 0
    for start, end, quoted in quoted_passages(text):
        parts.append((False, text[position:start]))
        parts.append((True, quoted))
        position = end
    parts.append((False, text[position:]))
    words, around = [], []
    for is_quote, part in parts:
        part = part.strip()
        if not part:
            continue
        if is_quote and (not words or part[:1].isupper()):
            words.append(part)
        elif is_quote:
            around.append(f"“{part}”")
        else:
            around.append(part)
    return words, " ".join(around).strip(" ,")


QUOTE_MARKS = {"“": "”", '"': '"', "«": "»", "„": "“"}


def quoted_passages(text):
    """(start, end, the words inside) of each passage in “curly” or "straight" quotes, in order.

    What the pattern `“([^”]*)”|"([^"]*)"` finds, without its cost: from every “ that nothing
    closes, the pattern reads on to the end of the text, which a line of a thousand “ makes a
    million steps. Here an unclosed mark rules out every later one of its kind at once.
    """
    next_at = {mark: text.find(mark) for mark in QUOTE_MARKS}
    while True:
        waiting = [(at, mark) for mark, at in next_at.items() if at >= 0]
        if not waiting:
            return
        at, mark = min(waiting)
        closing = text.find(QUOTE_MARKS[mark], at + 1)
        if closing < 0:
            next_at[mark] = -1  # Nothing closes this one, nor any after it.
            continue
        yield at, closing + 1, text[at + 1 : closing]
        for other, other_at in next_at.items():
            if 0 <= other_at <= closing:
                next_at[other] = text.find(other, closing + 1)


def attribute(around, introductions, language="en"):
    """Who said it, from the words around a quote, or None when no speaker is named there.

    `introductions` (an Introductions of the whole article) gives the speaker's full name and
    role, which a quote rarely repeats.
    """
    if language == "ru":
        return russian_attribution(around, introductions)
    found = speaker_and_context(around)
    if not found:
        return None
    name, context = found
    source = None
    if citation := trailing_citation(context):
        start, phrase = citation
        source = source_from(phrase)
        if source:
            context = context[:start]
    full_name, role = introductions.identify(name)
    return Attribution(full_name, role, context.strip(" ,."), source)


def speaker_and_context(around):
    """(the speaker as written, the words after the speech verb): "said X …" or "X said …"."""
    if match := SAID_NAME.match(around):
        return match["name"].rstrip("."), match["rest"]
    match = NAME_SAID.match(around)
    if match and match["name"].lower() not in LEADING_WORDS:
        return match["name"], match["rest"]
    return None


def trailing_citation(text):
    """The "according to …" clause that ends `text`: (where the clause starts, counting a comma
    and spaces before it, and the phrase after "according to"), or None.

    Written out rather than as a search for ",?\\s*according to ([^,;]+?)[.,;]?$", which tries
    every "according to" in the text and reads on to the end from each.
    """
    last = len(text) - 1
    after = max(text.rfind(",", 0, last), text.rfind(";", 0, last))
    at = text.find("according to ", after + 1)
    if at < 0:
        return None
    phrase = text[at + len("according to ") :]
    if len(phrase) > 1 and phrase[-1] in ".,;":
        phrase = phrase[:-1]
    if not phrase or phrase in (",", ";"):
        return None
    start = at
    while start > 0 and text[start - 1].isspace():
        start -= 1
    if start > 0 and text[start - 1] == ",":
        start -= 1
    return start, phrase


def source_from(phrase):
    """The source a phrase after "according to" names ("state news agency Belta"), or None for a
    person ("according to Muzyka") or a phrase without a name."""
    lowered = phrase.lower()
    kind = next((k for word, k in SOURCE_KINDS if word in lowered), None)
    if kind is None:
        return None
    names = sorted(ORG_RE.findall(phrase), key=len, reverse=True)
    if not names:
        return None
    name = names[0]
    # "Muzyka for the Estonia-based International Center…": the organisation follows "-based".
    if based := BASED.search(name):
        name = name[based.end() :]
    return ParsedSource(name=name, kind=kind)


def cited_sources(text, language="en"):
    """The sources a paragraph cites in passing: "…, according to a 2021 report by …"."""
    if language == "ru":
        yield from russian_sources(text)
        return
    for match in CITATION.finditer(text):
        source = source_from(match[1])
        if source:
            yield source


def is_word_char(char):
    return char.isalnum() or char == "_"


class Introductions:
    """Where the article introduces its people: "Belarusian Defense Minister Victor Khrenin".

    For every surname, the first place the text gives it with a first name and up to four
    capitalised words before it (the role), in the order of `texts` (plain paragraphs). The words
    are read once, as far as the lookups need: a speaker introduced early is found early, and
    one never introduced costs a single reading of the rest.
    """

    def __init__(self, texts, require_role=True):
        self.index = {}
        self.unread = introductions_in(texts, require_role)

    def identify(self, name):
        """(full name, role) for a speaker as a quote names them: "Khrenin" may be "Victor
        Khrenin", "Belarusian Defense Minister". (name, "") when the text gives no role."""
        surname = name.split()[-1]
        while surname not in self.index:
            found = next(self.unread, None)
            if found is None:
                return name, ""
            surnames, introduction = found
            for form in surnames:
                self.index.setdefault(form, introduction)
        given, role = self.index[surname]
        full = f"{given} {surname}" if given and len(name.split()) == 1 else name
        return full, role


def introductions_in(texts, require_role=True):
    """(the forms of a surname, (first name, role)) for each introduction, in reading order.
    Without `require_role` a first name alone introduces (Russian writes roles in lower case,
    which the capitalised words read here miss)."""
    for text in texts:
        words = text.split()
        for position in range(1, len(words)):
            surnames = surname_forms(words[position])
            if surnames and (introduction := introduced(words, position, require_role)):
                yield surnames, introduction


def capitalised(word):
    return (
        len(word) <= LONGEST_NAME_WORD
        and word[:1].isupper()
        and CAPITALISED.fullmatch(word) is not None
    )


def capitalised_end(word):
    """The capitalised end of a word such as "ex-President" or "(Victor": "President", "Victor"."""
    if len(word) > LONGEST_NAME_WORD:
        return ""
    start = len(word)
    while start > 0 and (is_word_char(word[start - 1]) or word[start - 1] in "’'-"):
        start -= 1
    while start < len(word) and not word[start].isupper():
        start += 1
    return word[start:]


def surname_forms(word):
    """The ways a quote may name the surname `word` starts: "Lukashenko’s" gives "Lukashenko",
    "Lukashenko’" and "Lukashenko’s" (each a prefix ending at a word boundary)."""
    if not word[:1].isupper():
        return []
    end = min(len(word), LONGEST_NAME_WORD)
    forms = []
    for cut in range(1, end + 1):
        # A word boundary (regex \b) after the prefix; the end of the word is followed by a space.
        after = is_word_char(word[cut]) if cut < len(word) else False
        if is_word_char(word[cut - 1]) != after:
            forms.append(word[:cut])
    return forms


def introduced(words, position, require_role=True):
    """(first name, role) if the words before `position` introduce the person named there with a
    first name and a role (or, without `require_role`, a first name), else None."""
    given = words[position - 1]
    role = []
    if capitalised(given) and len(given) > 1:
        before = position - 2
        while len(role) < 4 and before >= 0 and capitalised(words[before]):
            role.insert(0, words[before])
            before -= 1
        if len(role) < 4 and before >= 0 and (end := capitalised_end(words[before])):
            role.insert(0, end)
    else:
        given = capitalised_end(given)
        if len(given) < 2:
            return None
    if given.lower() in TITLE_WORDS:
        role.append(given)
        given = ""
    while role and role[0].lower() in LEADING_WORDS:
        role.pop(0)
    if require_role:
        return (given, " ".join(role)) if role else None
    return (given, " ".join(role)) if given else None


# Russian. The quote is followed by a dash, a speech verb, the speaker's role in lower case and
# their name: "— заявил министр обороны Беларуси Виктор Хренин на брифинге".

RUSSIAN_SPEECH_VERBS = {
    f"{stem}{ending}"
    for stem in (
        "сказал", "заявил", "отметил", "подчеркнул", "добавил", "сообщил", "написал",
        "предупредил", "пояснил", "уточнил", "признал", "заверил", "говорил", "рассказал",
    )
    for ending in ("", "а", "и")
} | {"говорит", "считает", "пишет", "уверен", "уверена"}  # fmt: skip
RUSSIAN_WORD = re.compile(r"[^\s,;:.!?()]++")
# A source's kind from a word of the phrase naming it.
RUSSIAN_SOURCE_KINDS = [
    ("агентств", Source.Kind.AGENCY),
    ("доклад", Source.Kind.REPORT),
    ("отчет", Source.Kind.REPORT),
    ("отчёт", Source.Kind.REPORT),
    ("исследовани", Source.Kind.REPORT),
    ("заявлени", Source.Kind.STATEMENT),
    ("газет", Source.Kind.PUBLICATION),
    ("издани", Source.Kind.PUBLICATION),
    ("журнал", Source.Kind.PUBLICATION),
    ("сайт", Source.Kind.PUBLICATION),
    ("телеканал", Source.Kind.PUBLICATION),
]
# "по данным агентства БелТА", "как сообщает ТАСС", "передает РИА Новости": the phrase, then
# the source's name. Agencies are what "сообщает" and "передает" usually report.
RUSSIAN_CITATION = re.compile(
    r"(?:(?P<data>по данным|по информации|согласно)|(?P<report>(?:как )?(?:сообщает|сообщило|"
    r"сообщил|передает|передаёт|пишет)))\s++(?P<phrase>[^,;.!?]++)",
    re.I,
)


def russian_attribution(around, introductions):
    """The speaker of a Russian quote from the words after it, or None."""
    text = around.lstrip(" ,—–-")
    words = RUSSIAN_WORD.findall(text[:400])
    if not words or words[0].lower() not in RUSSIAN_SPEECH_VERBS:
        return None
    clause = words[1:]
    # The first run of capitalised words after the verb: its last one or two are the name,
    # what comes before them the role.
    start = next((i for i, word in enumerate(clause) if word[:1].isupper()), None)
    if start is None:
        return None
    end = start
    while end < len(clause) and clause[end][:1].isupper():
        end += 1
    run = clause[start:end]
    name_words = run[-2:] if len(run) >= 2 else run
    if len(name_words) == 2:
        given, _ = introductions.identify(name_words[1])
        if given != name_words[1] and given.split()[0] != name_words[0]:
            name_words = name_words[1:]  # "Беларуси Хренин": a role word, then the surname
    role_words = clause[: end - len(name_words)]
    name = " ".join(name_words)
    full_name, _ = introductions.identify(name)
    rest = text[text.find(name) + len(name) :] if name in text else ""
    source = None
    context = rest
    if match := RUSSIAN_CITATION.search(rest):
        source = russian_source(match)
        if source:
            context = rest[: match.start()]
    return Attribution(full_name, " ".join(role_words), context.strip(" ,.—"), source)


def russian_source(match):
    """The source a Russian citation names, or None when its phrase names no organisation."""
    phrase = match["phrase"].strip()
    lowered = phrase.lower()
    kind = next((k for word, k in RUSSIAN_SOURCE_KINDS if word in lowered), None)
    if kind is None:
        kind = Source.Kind.AGENCY if match["report"] else Source.Kind.OTHER
    names = [word for word in phrase.split() if word[:1].isupper()]
    if not names:
        return None
    # The name is the capitalised words from the first one on ("РИА Новости", "БелТА").
    first = phrase.split().index(names[0])
    return ParsedSource(name=" ".join(phrase.split()[first:]), kind=kind)


def russian_sources(text):
    for match in RUSSIAN_CITATION.finditer(text):
        source = russian_source(match)
        if source:
            yield source
