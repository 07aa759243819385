"""The content API's endpoints. Read-only; what a caller sees is the site's rule
(explainers.workflow.readable, through Article.objects.visible_to). Anonymous answers are
cached and purged like the pages (explainers.pagecache, the edge); keyed ones are the caller's
own (private), with an ETag for revalidation."""

import base64
import binascii
import datetime
import hashlib
import json
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, quote_etag, urlencode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from taggit.models import Tag, TaggedItem

from .. import document as page_document
from .. import search as search_engine
from ..languages import in_language, language_from_path
from ..models import (
    Article,
    Author,
    Byline,
    QuestionSection,
    Quote,
    Source,
    Speaker,
    localize,
)
from ..pagecache import depends_on
from . import serializers
from .access import KeyAuthentication, KeyRateThrottle
from .data import absolute, person, tag_of
from .data import source as source_data

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
NEWEST = 50  # the articles or quotes listed on a speaker's, source's, author's or tag's answer


def problem(parameter, message):
    return ValidationError({parameter: [message]})


class Endpoint(APIView):
    authentication_classes = [KeyAuthentication]
    throttle_classes = [KeyRateThrottle]
    permission_classes = [AllowAny]  # what each caller sees is the queryset's rule
    parameters = ()  # the query parameters it reads; any other is a 400 naming it

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - set(self.parameters))
        if unknown:
            known = ", ".join(self.parameters) or "none"
            raise problem(unknown[0], f"Unknown parameter. This endpoint reads: {known}.")

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.auth is not None:
            # A key's answer is its holder's: never kept by a shared cache, revalidated by ETag.
            patch_cache_control(response, private=True, no_cache=True)
            response["Vary"] = "Authorization"
            if response.status_code == 200:
                response.render()
                etag = quote_etag(hashlib.sha1(response.content).hexdigest()[:20])
                response["ETag"] = etag
                modified = getattr(response, "last_modified", None)
                # Whole seconds, as the header has them.
                modified = int(modified.timestamp()) if modified else None
                if modified:
                    response["Last-Modified"] = http_date(modified)
                conditional = get_conditional_response(
                    request._request, etag=etag, last_modified=modified, response=response
                )
                return conditional or response
        return response

    def visible(self):
        return Article.objects.visible_to(self.request.user)

    def full_url(self, name, **query):
        url = reverse(name)
        return self.request.build_absolute_uri(f"{url}?{urlencode(query)}" if query else url)


def whole_number(raw):
    """An ASCII whole number of at most 18 digits (any database's integer), or None."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def aware(raw):
    """A date and time in ISO 8601 with its offset, as UTC; None for anything else (no offset,
    no such date, or a moment UTC cannot hold, such as year 1 at +01:00)."""
    try:
        moment = parse_datetime(raw)
        if moment is None or moment.tzinfo is None:
            return None
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return None


# Cursors: (publication date, id) of the last article on the page, opaque to callers.


def encode_cursor(*values):
    raw = json.dumps([v.isoformat() if isinstance(v, datetime.datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value, shape):
    """The values of a cursor this API gave, as `shape` (a tuple of types), or a 400."""
    try:
        if len(value) > 200:
            raise ValueError
        raw = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        if not isinstance(raw, list) or len(raw) != len(shape):
            raise ValueError
        values = []
        for item, kind in zip(raw, shape, strict=True):
            if kind is datetime.datetime:
                item = aware(item) if isinstance(item, str) else None
                if item is None:
                    raise ValueError
            elif not isinstance(item, int) or isinstance(item, bool):
                raise ValueError
            values.append(item)
        return values
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise problem("cursor", "Not a cursor this API gave: use the `next` link.") from None


def page_size(request):
    raw = request.query_params.get("page_size")
    if raw is None:
        return PAGE_SIZE
    size = whole_number(raw)
    if size is None or not 1 <= size <= MAX_PAGE_SIZE:
        raise problem("page_size", f"A whole number from 1 to {MAX_PAGE_SIZE}.")
    return size


def next_link(request, cursor):
    if cursor is None:
        return None
    query = request.query_params.copy()
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def summary(article, request):
    """A list row: its tag and author addresses are those of the article's language's
    pages, as on the article itself."""
    with in_language(article.language):
        photo = article.hero_photo
        return absolute(
            {
                "id": article.pk,
                "url": article.get_absolute_url(),
                "api_url": reverse("api:article-detail", kwargs={"pk": article.pk}),
                "status": article.status,
                "language": article.language,
                "kicker": article.kicker,
                "headline": article.headline,
                "summary": article.dek,
                "published_at": article.published_at.isoformat() if article.published_at else None,
                "updated_at": article.updated_at.isoformat(),
                "hero_photo": None
                if photo is None
                else {
                    "alt_text": photo.alt_text,
                    **{k: photo.fallback[k] for k in ("url", "width", "height")},
                },
                "tags": [tag_of(tag) for tag in article.tags.all()],
                "authors": [person(byline.author) for byline in article.bylines.all()],
            },
            request,
        )


def reference(article, request):
    return absolute(
        {
            "id": article.pk,
            "headline": article.headline,
            "url": article.get_absolute_url(),
            "api_url": reverse("api:article-detail", kwargs={"pk": article.pk}),
            "published_at": article.published_at.isoformat() if article.published_at else None,
        },
        request,
    )


ARTICLE_FILTERS = [
    OpenApiParameter("language", str, description="A language code, e.g. en or ru."),
    OpenApiParameter("tag", str, description="A tag's slug."),
    OpenApiParameter("author", str, description="An author's slug."),
    OpenApiParameter("speaker", str, description="A speaker's slug: the articles quoting them."),
    OpenApiParameter("source", int, description="A source's id: the articles citing it."),
    OpenApiParameter(
        "updated_since",
        OpenApiTypes.DATETIME,
        description="Only articles saved at or after this time (ISO 8601, with its offset).",
    ),
    OpenApiParameter(
        "q",
        str,
        description="Words to search for (at most 200 characters), in the `language` given "
        "(the site's own by default).",
    ),
    OpenApiParameter("cursor", str, description="From a `next` link."),
    OpenApiParameter(
        "page_size", int, description=f"1 to {MAX_PAGE_SIZE}; {PAGE_SIZE} by default."
    ),
]


class ArticleList(Endpoint):
    """Articles, newest first, a page at a time (cursor pagination on publication date and id:
    stable while articles are being published)."""

    parameters = (
        "language",
        "tag",
        "author",
        "speaker",
        "source",
        "updated_since",
        "q",
        "cursor",
        "page_size",
    )

    @extend_schema(
        parameters=ARTICLE_FILTERS,
        responses={200: serializers.ArticlePage, **serializers.ERRORS},
        operation_id="articles_list",
    )
    def get(self, request):
        params = request.query_params
        articles = self.visible()
        if (code := params.get("language")) is not None:
            if code not in dict(settings.LANGUAGES):
                known = ", ".join(dict(settings.LANGUAGES))
                raise problem("language", f"One of the newsroom's languages: {known}.")
            articles = articles.filter(language=code)
        if slug := params.get("tag"):
            articles = articles.filter(tags__slug=slug)
        if slug := params.get("author"):
            articles = articles.filter(
                pk__in=Article.objects.filter(authors__slug=slug).values("pk")
            )
        if slug := params.get("speaker"):
            articles = articles.filter(
                pk__in=Quote.objects.filter(speaker__slug=slug).values("article_id")
            )
        if (raw := params.get("source")) is not None:
            if whole_number(raw) is None:
                raise problem("source", "A source's id: a whole number.")
            articles = articles.filter(citing(whole_number(raw)))
        if (raw := params.get("updated_since")) is not None:
            since = aware(raw)
            if since is None:
                raise problem(
                    "updated_since",
                    "A date and time in ISO 8601 with its offset, e.g. 2026-12-01T09:00:00Z.",
                )
            articles = articles.filter(updated_at__gte=since)
        if (raw := params.get("q")) is not None:
            if len(raw) > search_engine.MAX_QUERY_LENGTH or not raw.isprintable():
                raise problem(
                    "q", f"At most {search_engine.MAX_QUERY_LENGTH} printable characters."
                )
            # In the language asked for, the site's own otherwise: each language has its own
            # stemming (explainers.search).
            hits = search_engine.search(search_engine.clean_query(raw), params.get("language"))
            articles = articles.filter(pk__in=[hit.article.pk for hit in hits])
        # Readers' lists order by publication date (indexed); a staff key's drafts have none yet
        # and are placed by when they were created.
        staff = request.user.is_authenticated
        date = "sort_at" if staff else "published_at"
        if staff:
            articles = articles.annotate(sort_at=Coalesce("published_at", "created_at"))
        if (raw := params.get("cursor")) is not None:
            moment, pk = decode_cursor(raw, (datetime.datetime, int))
            articles = articles.filter(
                Q(**{f"{date}__lt": moment}) | Q(**{date: moment, "pk__lt": pk})
            )
        size = page_size(request)
        rows = list(
            articles.order_by(F(date).desc(), "-pk")
            .for_listing()
            .prefetch_related("tags")[: size + 1]
        )
        more = len(rows) > size
        rows = rows[:size]
        # Each row's tags named as its article's language writes them (one query a language).
        for language in {article.language for article in rows}:
            localize(
                [
                    tag
                    for article in rows
                    if article.language == language
                    for tag in article.tags.all()
                ],
                language,
            )
        cursor = encode_cursor(getattr(rows[-1], date), rows[-1].pk) if more else None
        depends_on(request, "home")
        response = Response(
            {
                "next": next_link(request, cursor),
                "results": [summary(article, request) for article in rows],
            }
        )
        response.page_cache = worth_keeping(params, rows)
        return response


def worth_keeping(params, rows):
    """Whether the page cache and the edge keep a list's answer: not a search, not a page
    further on, not an empty one. Those can be asked with any string (a forged cursor is a valid
    one), and each would be one more entry kept for a day: random values could evict the pages
    readers want. The first pages of real lists are what gets read."""
    return bool(rows) and not ({"q", "cursor"} & set(params))


def citing(source_id):
    return (
        Q(lead_sources=source_id)
        | Q(pk__in=QuestionSection.objects.filter(sources=source_id).values("article_id"))
        | Q(pk__in=Quote.objects.filter(source=source_id).values("article_id"))
    )


class ArticleDetail(Endpoint):
    """The whole explainer: its lead, its questions in order with their answers, quotes with
    their speakers and sources, citations, corrections, photo, tags and authors."""

    @extend_schema(
        responses={200: serializers.Article, **serializers.ERRORS}, operation_id="articles_retrieve"
    )
    def get(self, request, pk):
        article = self.visible().for_api().filter(pk=pk).first()
        if article is None:
            raise Http404("No article with this id.")
        return article_response(request, article)


def article_response(request, article):
    depends_on(request, f"article-id:{article.pk}", f"article:{article.slug}")
    data = absolute(page_document.stored(article, api=True).api, request)
    if not article.original_url:
        data["canonical_url"] = data["url"]
    response = Response(data)
    response.last_modified = article.updated_at
    return response


class ArticleByAddress(Endpoint):
    """The whole explainer, found by its address on the site (`url`: the page's address or its
    path)."""

    parameters = ("url",)

    @extend_schema(
        parameters=[
            OpenApiParameter("url", str, required=True, description="The article page's address.")
        ],
        responses={200: serializers.Article, **serializers.ERRORS},
        operation_id="articles_by_address",
    )
    def get(self, request):
        raw = request.query_params.get("url")
        if not raw:
            raise problem("url", "The article page's address, e.g. /2022/10/11/its-slug/.")
        # The page's address as a reader's browser shows it (Cyrillic slugs percent-encoded, as
        # this API gives them) or decoded. Any date finds the article, as the site sends any
        # date to the article's own address.
        try:
            path = unquote(urlsplit(raw).path) if len(raw) <= 2000 else None
            # Resolved as the site resolves it: in the language its address starts with.
            with translation.override(language_from_path(path or "/")):
                match = resolve(path) if path else None
        except (Resolver404, ValueError):
            match = None
        if match is None or match.url_name != "article":
            raise problem("url", "Not the address of an article page.")
        article = self.visible().for_api().filter(slug=match.kwargs["slug"]).first()
        if article is None:
            raise Http404("No article at this address.")
        response = article_response(request, article)
        # Kept only when asked by the article's own path: not for every other date, host or
        # spelling it could be given.
        response.page_cache = unquote(raw) == unquote(article.get_absolute_url())
        return response


class RecordList(Endpoint):
    """A list of speakers, sources, authors or tags, by id, a page at a time."""

    parameters = ("cursor", "page_size")
    model = None

    def shown(self):
        """The records shown on articles this caller may see: a speaker quoted, a source cited,
        an author bylined or a tag given only on a draft is not listed for readers."""
        return shown_on(self.model, self.visible())

    def get(self, request):
        records = self.shown().order_by("pk")
        if (raw := request.query_params.get("cursor")) is not None:
            (after,) = decode_cursor(raw, (int,))
            records = records.filter(pk__gt=after)
        size = page_size(request)
        rows = list(records[: size + 1])
        cursor = encode_cursor(rows[size - 1].pk) if len(rows) > size else None
        depends_on(request, "archive")
        response = Response(
            {
                "next": next_link(request, cursor),
                "results": [self.item(record) for record in rows[:size]],
            }
        )
        response.page_cache = worth_keeping(request.query_params, rows)
        return response

    def item(self, record):
        raise NotImplementedError

    def articles(self, queryset):
        rows = self.visible().filter(queryset).order_by("-published_at", "-pk")[:NEWEST]
        return [reference(article, self.request) for article in rows]


def shown_on(model, articles):
    """The records of `model` shown on these articles."""
    ids = articles.values("pk")
    if model is Speaker:
        return Speaker.objects.filter(
            pk__in=Quote.objects.filter(article__in=ids).values("speaker")
        )
    if model is Source:
        return Source.objects.filter(
            Q(pk__in=Article.lead_sources.through.objects.filter(article__in=ids).values("source"))
            | Q(
                pk__in=QuestionSection.sources.through.objects.filter(
                    questionsection__article__in=ids
                ).values("source")
            )
            | Q(pk__in=Quote.objects.filter(article__in=ids).values("source"))
        )
    if model is Author:
        return Author.objects.filter(pk__in=Byline.objects.filter(article__in=ids).values("author"))
    return Tag.objects.filter(
        pk__in=TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article), object_id__in=ids
        ).values("tag")
    )


def records(model, item, page, detail, lookup="pk"):
    """The list and detail endpoints of one kind of record."""

    class List(RecordList):
        __doc__ = f"{model._meta.verbose_name_plural.capitalize()}, by id, a page at a time."

        @extend_schema(
            parameters=ARTICLE_FILTERS[-2:],
            responses={200: page, **serializers.ERRORS},
            operation_id=f"{model._meta.model_name}s_list",
        )
        def get(self, request):
            return super().get(request)

    List.model = model
    List.item = lambda self, record: item(self, record)

    class Detail(RecordList):
        __doc__ = f"One {model._meta.verbose_name}, with its newest articles."
        parameters = ()

        @extend_schema(
            responses={200: detail, **serializers.ERRORS},
            operation_id=f"{model._meta.model_name}s_retrieve",
        )
        def get(self, request, **kwargs):
            record = self.shown().filter(**{lookup: kwargs[lookup]}).first()
            if record is None:
                raise Http404(f"No {model._meta.verbose_name} here.")
            depends_on(request, "home")
            return Response(detail_of(self, record))

    Detail.model = model
    return List, Detail


def speaker_item(view, speaker):
    api_url = reverse("api:speaker-detail", kwargs={"slug": speaker.slug})
    item = {**person(speaker), "usual_role": speaker.usual_role, "api_url": api_url}
    return absolute(item, view.request)


def author_item(view, author):
    api_url = reverse("api:author-detail", kwargs={"slug": author.slug})
    return absolute({**person(author), "api_url": api_url}, view.request)


def tag_item(view, tag):
    api_url = reverse("api:tag-detail", kwargs={"slug": tag.slug})
    return absolute({**tag_of(tag), "api_url": api_url}, view.request)


def source_item(view, record):
    return absolute(source_data(record), view.request)


def detail_of(view, record):
    request = view.request
    if isinstance(record, Speaker):
        quotes = (
            Quote.objects.filter(speaker=record, article__in=view.visible())
            .select_related("article", "section")
            .order_by("-article__published_at", "-pk")[:NEWEST]
        )
        return {
            **speaker_item(view, record),
            "articles_url": view.full_url("api:article-list", speaker=record.slug),
            "quotes": [
                {
                    "id": q.pk,
                    "text": q.text,
                    "speaker_role": q.speaker_role or record.usual_role,
                    "url": request.build_absolute_uri(q.get_absolute_url()),
                    "article": reference(q.article, request),
                }
                for q in quotes
            ],
        }
    if isinstance(record, Source):
        return {
            **source_item(view, record),
            "articles_url": view.full_url("api:article-list", source=record.pk),
            "articles": view.articles(citing(record.pk)),
        }
    if isinstance(record, Author):
        return {
            **author_item(view, record),
            "bio": record.bio,
            "articles_url": view.full_url("api:article-list", author=record.slug),
            "articles": view.articles(Q(authors=record)),
        }
    return {
        **tag_item(view, record),
        "articles_url": view.full_url("api:article-list", tag=record.slug),
        "articles": view.articles(Q(tags=record)),
    }


SpeakerList, SpeakerDetail = records(
    Speaker, speaker_item, serializers.SpeakerPage, serializers.SpeakerDetail, "slug"
)
SourceList, SourceDetail = records(
    Source, source_item, serializers.SourcePage, serializers.SourceDetail
)
AuthorList, AuthorDetail = records(
    Author, author_item, serializers.AuthorPage, serializers.AuthorDetail, "slug"
)
TagList, TagDetail = records(Tag, tag_item, serializers.TagPage, serializers.TagDetail, "slug")
