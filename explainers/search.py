"""
Search over published explainers: headline, summary and lead, and every question and answer.

On PostgreSQL this is full-text search with ranking (django.contrib.postgres); elsewhere a simple
"every word somewhere" match. A hit on a question links straight to that question.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from .models import Article, QuestionSection

MAX_QUERY_LENGTH = 200
MAX_RESULTS = 100


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


def search(query):
    if not query:
        return []
    if connection.vendor == "postgresql":
        article_ranks, section_ranks = postgres_ranks(query)
    else:
        article_ranks, section_ranks = simple_ranks(query)
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
    dated = Article.objects.listed().filter(pk__in=ranks).values_list("pk", "published_at")
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


def article_vector():
    """The searchable text of an article. Migration 0008 indexes exactly this expression (GIN),
    so a change here needs a new migration."""
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector("headline", weight="A", config="english")
        + SearchVector("dek", weight="B", config="english")
        + SearchVector("lead", weight="C", config="english")
    )


def section_vector():
    """The searchable text of a question and its answer; indexed like article_vector()."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector("question", weight="A", config="english") + SearchVector(
        "answer", weight="C", config="english"
    )


def postgres_ranks(query):
    """Full-text matches found through the GIN indexes, the newest CANDIDATES of each kind
    ranked."""
    from django.contrib.postgres.search import SearchQuery, SearchRank

    search_query = SearchQuery(query, search_type="websearch", config="english")
    published = Article.objects.published()
    matching_articles = (
        published.annotate(searchable=article_vector())
        .filter(searchable=search_query)
        .order_by("-published_at", "-id")
        .values("pk")[:CANDIDATES]
    )
    articles = (
        Article.objects.filter(pk__in=matching_articles)
        .annotate(rank=SearchRank(article_vector(), search_query))
        .values_list("pk", "rank")
    )
    matching_sections = (
        QuestionSection.objects.filter(article__in=published)
        .annotate(searchable=section_vector())
        .filter(searchable=search_query)
        .order_by("-article__published_at", "-article_id")
        .values("pk")[:CANDIDATES]
    )
    sections = (
        QuestionSection.objects.filter(pk__in=matching_sections)
        .annotate(rank=SearchRank(section_vector(), search_query))
        .only("pk", "article_id", "anchor", "question")
    )
    return dict(articles), [(section, section.rank) for section in sections]


def simple_ranks(query):
    words = query.split()[:10]
    article_filter, section_filter = Q(), Q()
    for word in words:
        article_filter &= (
            Q(headline__icontains=word) | Q(dek__icontains=word) | Q(lead__icontains=word)
        )
        section_filter &= Q(question__icontains=word) | Q(answer__icontains=word)
    articles = Article.objects.published().filter(article_filter).values_list("pk", flat=True)
    sections = QuestionSection.objects.filter(
        section_filter, article__in=Article.objects.published()
    ).only("pk", "article_id", "anchor", "question")[: MAX_RESULTS * 2]
    # Without ranking, a match in the headline or a question counts for more than one in a body.
    lowered = [w.lower() for w in words]
    section_ranks = [
        (s, 1.0 if all(w in s.question.lower() for w in lowered) else 0.5) for s in sections
    ]
    return {pk: 0.75 for pk in articles[:MAX_RESULTS]}, section_ranks
