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
    ids = set(article_ranks) | set(best_section)
    articles = Article.objects.published().filter(pk__in=ids).for_listing()
    hits = []
    for article in articles:
        section, section_rank = best_section.get(article.pk, (None, 0.0))
        rank = max(article_ranks.get(article.pk, 0.0), section_rank)
        hits.append(Hit(article, section, rank))
    hits.sort(key=lambda hit: (-hit.rank, -hit.article.published_at.timestamp()))
    return hits[:MAX_RESULTS]


def postgres_ranks(query):
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    search_query = SearchQuery(query, search_type="websearch", config="english")
    article_vector = (
        SearchVector("headline", weight="A", config="english")
        + SearchVector("dek", weight="B", config="english")
        + SearchVector("lead", weight="C", config="english")
    )
    articles = (
        Article.objects.published()
        .annotate(rank=SearchRank(article_vector, search_query))
        .filter(rank__gt=0)
        .values_list("pk", "rank")[:MAX_RESULTS]
    )
    section_vector = SearchVector("question", weight="A", config="english") + SearchVector(
        "answer", weight="C", config="english"
    )
    sections = (
        QuestionSection.objects.filter(article__in=Article.objects.published())
        .annotate(rank=SearchRank(section_vector, search_query))
        .filter(rank__gt=0)
        .order_by("-rank")
        .only("pk", "article_id", "anchor", "question")[: MAX_RESULTS * 2]
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
