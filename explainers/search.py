"""
Search over published explainers: headline, summary and lead, and every question and answer.

Each language's search page searches that language's explainers. On PostgreSQL this is
full-text search with ranking (django.contrib.postgres) in the language's text-search
configuration — "russian" stems «войска» and «войск» alike — through one GIN index per
configuration (migrations 0008 and 0016: English and Russian; a newsroom adding a language with
its own configuration adds its index the same way, or its searches read every row). Elsewhere
a simple "every word somewhere" match, case-folded in Python so that Cyrillic matches whatever
its case (SQLite's LIKE folds ASCII only).

A hit on a question links straight to that question.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Func, Q, TextField

from .languages import reader_language
from .models import Article, QuestionSection

MAX_QUERY_LENGTH = 200
MAX_RESULTS = 100

# PostgreSQL's own text-search configurations by language code; any other language is
# searched word for word ("simple": no stemming, no stop words).
CONFIGS = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french",
    "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "nl": "dutch", "no": "norwegian",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip


def config_for(language):
    return CONFIGS.get(language, "simple")


@dataclass
class Hit:
    article: Article
    section: QuestionSection | None
    rank: float

    @property
    def url(self):
        if self.section:
            return f"{self.article.get_absolute_url()}#{self.section.anchor}"
        return self.article.get_absolute_url()


def clean_query(raw):
    """The words to search for: control characters dropped, whitespace folded, length capped."""
    text = "".join(ch if ch.isprintable() else " " for ch in raw or "")
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def search(query, language=None):
    """The published explainers in `language` (the active one by default) matching `query`,
    best first."""
    if not query:
        return []
    language = reader_language(language)
    if connection.vendor == "postgresql":
        article_ranks, section_ranks = postgres_ranks(query, language)
    else:
        article_ranks, section_ranks = simple_ranks(query, language)
    # The best-ranked question of each article, if any question matched.
    best_section = {}
    for section, rank in section_ranks:
        current = best_section.get(section.article_id)
        if current is None or rank > current[1]:
            best_section[section.article_id] = (section, rank)
    ranks = {
        pk: max(article_ranks.get(pk, 0.0), best_section.get(pk, (None, 0.0))[1])
        for pk in set(article_ranks) | set(best_section)
    }
    # The best MAX_RESULTS by rank, newest first among equals; only those are loaded in full.
    dated = Article.objects.listed(language).filter(pk__in=ranks).values_list("pk", "published_at")
    top = sorted(dated, key=lambda row: (-ranks[row[0]], -row[1].timestamp()))[:MAX_RESULTS]
    articles = Article.objects.filter(pk__in=[pk for pk, _ in top]).for_listing().in_bulk()
    return [
        Hit(articles[pk], best_section.get(pk, (None, 0.0))[0], ranks[pk])
        for pk, _ in top
        if pk in articles
    ]


# PostgreSQL: how many of the newest matching articles (and questions) are ranked. A word found
# in most of the archive would otherwise mean ranking all of it on every search; news readers
# want recent matches first anyway.
CANDIDATES = 500


def article_vector(config="english"):
    """The searchable text of an article in one text-search configuration. Migrations 0008
    (English) and 0016 (Russian) index exactly this expression (GIN), so a change here needs a
    new migration."""
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector("headline", weight="A", config=config)
        + SearchVector("dek", weight="B", config=config)
        + SearchVector("lead", weight="C", config=config)
    )


def section_vector(config="english"):
    """The searchable text of a question and its answer; indexed like article_vector()."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector("question", weight="A", config=config) + SearchVector(
        "answer", weight="C", config=config
    )


def postgres_ranks(query, language):
    """Full-text matches in the language's configuration, found through its GIN indexes, the
    newest CANDIDATES of each kind ranked."""
    from django.contrib.postgres.search import SearchQuery, SearchRank

    config = config_for(language)
    search_query = SearchQuery(query, search_type="websearch", config=config)
    published = Article.objects.published().filter(language=language)
    matching_articles = (
        published.annotate(searchable=article_vector(config))
        .filter(searchable=search_query)
        .order_by("-published_at", "-id")
        .values("pk")[:CANDIDATES]
    )
    articles = (
        Article.objects.filter(pk__in=matching_articles)
        .annotate(rank=SearchRank(article_vector(config), search_query))
        .values_list("pk", "rank")
    )
    matching_sections = (
        QuestionSection.objects.filter(article__in=published)
        .annotate(searchable=section_vector(config))
        .filter(searchable=search_query)
        .order_by("-article__published_at", "-article_id")
        .values("pk")[:CANDIDATES]
    )
    sections = (
        QuestionSection.objects.filter(pk__in=matching_sections)
        .annotate(rank=SearchRank(section_vector(config), search_query))
        .only("pk", "article_id", "anchor", "question")
    )
    return dict(articles), [(section, section.rank) for section in sections]


class Fold(Func):
    """A text column case-folded by Python's str.casefold (registered on each SQLite
    connection by fold_on_sqlite): «Войска» and «войска» alike."""

    function = "newsroom_casefold"
    output_field = TextField()


def fold_on_sqlite(sender, connection, **kwargs):
    """connection_created: give SQLite the casefold function the simple search uses."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            Fold.function, 1, lambda text: text.casefold() if text else text, deterministic=True
        )


def simple_ranks(query, language):
    words = [word.casefold() for word in query.split()[:10]]
    article_filter, section_filter = Q(), Q()
    for word in words:
        article_filter &= (
            Q(headline_folded__contains=word)
            | Q(dek_folded__contains=word)
            | Q(lead_folded__contains=word)
        )
        section_filter &= Q(question_folded__contains=word) | Q(answer_folded__contains=word)
    published = Article.objects.published().filter(language=language)
    articles = (
        published.alias(**folded("headline", "dek", "lead"))
        .filter(article_filter)
        .values_list("pk", flat=True)
    )
    sections = (
        QuestionSection.objects.alias(**folded("question", "answer"))
        .filter(section_filter, article__in=published)
        .only("pk", "article_id", "anchor", "question")[: MAX_RESULTS * 2]
    )
    # Without ranking, a match in the headline or a question counts for more than one in a body.
    section_ranks = [
        (s, 1.0 if all(w in s.question.casefold() for w in words) else 0.5) for s in sections
    ]
    return {pk: 0.75 for pk in articles[:MAX_RESULTS]}, section_ranks


def folded(*fields):
    return {f"{name}_folded": Fold(name) for name in fields}
