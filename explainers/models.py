"""
The explainer, as data: an Article told as a lead and ordered QuestionSections, with Quotes by
Speakers and citations of Sources. The article's list of sources is derived from its citations.
"""

import datetime
import hashlib
import secrets
from collections import defaultdict
from functools import lru_cache
from urllib.parse import quote, unquote
from uuid import uuid4

import reversion
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator
from django.db import connections, models
from django.db.models import Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TaggedItem

from .languages import in_language, reader_language
from .richtext import RichTextField, html_to_text, links, placeholder_links, refused_links

http_url = URLValidator(schemes=["http", "https"])


class HttpURLField(models.URLField):
    """A web address: http or https only, and one typed without a scheme is taken as https."""

    default_validators = [http_url]

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


class Author(models.Model):
    # Its identity in exports (explainers.portability): made once, never changed, the same on
    # every site the record moves to.
    uuid = models.UUIDField("UUID", default=uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    bio = models.TextField(blank=True, help_text="One or two sentences shown on the author page.")
    photo = models.ImageField(upload_to="authors/", blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author_profile",
        help_text="The staff account of this author, if they have one. Guest and agency writers "
        "have none.",
    )

    class Meta:
        ordering = ("name",)

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("explainers:author", kwargs={"slug": self.slug})


def other_language_choices():
    """The languages other than the site's own (whose words are a record's own name)."""
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.NEWSROOM_LANGUAGE]


class LocalName(models.Model):
    """A speaker's, source's or tag's name in one of the newsroom's other languages, where it
    is written otherwise (Лукашенко for Lukashenko, БелТА for BelTA): the pages in that
    language show it (`localize`). The record's own name is the site's language's."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey()
    language = models.CharField(max_length=10, choices=other_language_choices)
    name = models.CharField(max_length=200)

    class Meta:
        verbose_name = "name in another language"
        verbose_name_plural = "names in other languages"
        constraints = [
            models.UniqueConstraint(
                fields=("content_type", "object_id", "language"), name="one_local_name_each"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.language})"


def localize(records, language):
    """Give each record (speakers, sources, tags: several instances of one record included)
    its name in `language` where it has one, in place — for rendering only, never saved. One
    query whatever the number of records."""
    records = [record for record in records if record is not None]
    if not records or reader_language(language) == settings.NEWSROOM_LANGUAGE:
        return records
    types = ContentType.objects.get_for_models(*{type(record) for record in records})
    wanted = Q()
    for model, content_type in types.items():
        pks = {record.pk for record in records if type(record) is model}
        wanted |= Q(content_type=content_type, object_id__in=pks)
    names = {
        (content_type_id, object_id): name
        for content_type_id, object_id, name in LocalName.objects.filter(
            wanted, language=language
        ).values_list("content_type_id", "object_id", "name")
    }
    for record in records:
        name = names.get((types[type(record)].pk, record.pk))
        if name:
            record.name = name
    return records


class Speaker(models.Model):
    """A person quoted in explainers, shared across articles so their quotes can be found."""

    uuid = models.UUIDField("UUID", default=uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    usual_role = models.CharField(
        max_length=200, blank=True, help_text='For example "President of Belarus".'
    )
    local_names = GenericRelation(LocalName)

    class Meta:
        ordering = ("name",)

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("explainers:speaker", kwargs={"slug": self.slug})


class Source(models.Model):
    class Kind(models.TextChoices):
        # Shown to readers, in the page's language.
        AGENCY = "agency", _("News agency")
        REPORT = "report", _("Report")
        STATEMENT = "statement", _("Official statement")
        PUBLICATION = "publication", _("Publication")
        OTHER = "other", _("Other")

    uuid = models.UUIDField("UUID", default=uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    url = HttpURLField(max_length=500, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    local_names = GenericRelation(LocalName)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=("name", "url"), name="unique_source_name_url"),
        ]

    def __str__(self):
        return f"{self.name} ({self.publisher})" if self.publisher else self.name

    def get_absolute_url(self):
        return reverse("explainers:source", kwargs={"pk": self.pk})


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None):
        """What readers may see. The one place this rule is written; see Article.is_published.
        `now` is for compiling a query once (see related_to); it defaults to this moment."""
        now = timezone.now() if now is None else now
        return self.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            status=Article.Status.PUBLISHED,
            published_at__lte=now,
        )

    def expired(self, now=None):
        """Published, then taken down at its expiry time: what answers 410 Gone."""
        now = timezone.now() if now is None else now
        return self.filter(status=Article.Status.PUBLISHED, expires_at__lte=now)

    def related_to(self, article_id, tag_ids, limit=3, language=None):
        """The published articles in `language` (the site's own by default) sharing the most of
        these tags with an article, newest first among equals — the article page's "Related
        explainers".

        The query is the ORM's, built on published(), but compiled once per number of tags with
        stand-in values and then run with the real ones: compiling it took 0.8 ms of a 3 ms
        uncached article page, running it 0.1 ms (bench/serve.py measures the page).
        """
        if not tag_ids:
            return []
        # The tagging join names the article content type as a constant: part of the cache key,
        # so a database whose content types were made afresh (a flush) gets its own query.
        content_type = ContentType.objects.db_manager(self.db).get_for_model(Article).pk
        language = language or settings.NEWSROOM_LANGUAGE
        sql, slots = compiled_related(self.db, len(tag_ids), limit, content_type, language)
        field = Article._meta.get_field("published_at")
        values = {
            "now": field.get_db_prep_value(timezone.now(), connections[self.db]),
            "article": article_id,
            **{("tag", n): tag_id for n, tag_id in enumerate(tag_ids)},
        }
        params = [values[slot] if slot is not CONSTANT else value for slot, value in slots]
        return list(Article.objects.using(self.db).raw(sql, params))

    def listed(self, language=None):
        """What the site's lists show: published, in one language — by default the active
        one, which on a reader page is its address's (/ru/archive/ lists the Russian articles;
        see explainers.languages)."""
        return self.published().filter(language=reader_language(language))

    def tagged(self, tag):
        """The articles with this tag. An EXISTS, not a join: with the newest-first order and a
        page's LIMIT the database walks the listing index and stops at a page's worth, rather
        than reading every article with the tag first (bench/scale.py)."""
        taggings = TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article),
            object_id=models.OuterRef("pk"),
            tag=tag,
        )
        return self.filter(models.Exists(taggings))

    def by_author(self, author):
        """The articles this author has a byline on (an EXISTS, as tagged())."""
        return self.filter(
            models.Exists(Byline.objects.filter(article=models.OuterRef("pk"), author=author))
        )

    def months(self):
        """The months these articles were published in, newest first, as the first day of each
        in the site's time zone (what dates("published_at", "month") gives). On PostgreSQL a
        loose index scan: a recursive query over this queryset's own SQL finds the first date
        of each month and then the first on or after the next month's start — one probe of the
        date index per month — where Django's DISTINCT reads every date (35 ms → 1.5 ms at
        100,000 articles, bench/scale.py)."""
        connection = connections[self.db]
        if connection.vendor != "postgresql":
            return list(self.dates("published_at", "month", order="DESC"))
        try:
            query = self.order_by().values("published_at").query
            sql, params = query.get_compiler(self.db).as_sql()
        except EmptyResultSet:  # none(), or a filter nothing can match
            return []
        zone = timezone.get_current_timezone_name()
        query = f"""
            WITH RECURSIVE months(month) AS (
                SELECT date_trunc('month', MIN(s.published_at) AT TIME ZONE %s) FROM ({sql}) s
              UNION ALL
                SELECT (
                    SELECT date_trunc('month', MIN(s.published_at) AT TIME ZONE %s)
                    FROM ({sql}) s
                    WHERE s.published_at >= (months.month + interval '1 month') AT TIME ZONE %s
                )
                FROM months WHERE months.month IS NOT NULL
            )
            SELECT month FROM months WHERE month IS NOT NULL ORDER BY month DESC"""
        with connection.cursor() as cursor:
            cursor.execute(query, [zone, *params, zone, *params, zone])
            return [month.date() for (month,) in cursor.fetchall()]

    def scheduled(self):
        """Published by an editor, waiting for their date: what published() will show next."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())

    def visible_to(self, user):
        """What this user may open on the site: readers get published(); staff also get what
        the role rules (explainers.workflow.readable) let them open, shown with a banner."""
        from .workflow import readable

        return readable(user, self)

    def for_listing(self):
        return self.select_related("hero_photo").prefetch_related(
            models.Prefetch("bylines", queryset=Byline.objects.select_related("author")),
        )

    def for_reading(self):
        """The article page as readers get it: the article, its hero photo and its stored page
        document, in one query (see explainers.document) — without the document's content-API
        form (12 KB of JSON for the demo), which the page does not show."""
        return self.select_related("hero_photo", "document").defer("document__api")

    def for_api(self):
        """for_reading() with the document's content-API form (explainers.api)."""
        return self.select_related("hero_photo", "document")

    def for_page(self):
        """Everything the article page shows — what its page document is built from — in a fixed
        number of queries whatever its size."""
        return self.for_listing().prefetch_related(
            "tags",
            "sections",
            models.Prefetch("quotes", queryset=Quote.objects.select_related("speaker", "source")),
            "notes",
        )


def article_path(language, published_at, slug):
    """The address of a published article: /2022/10/11/slug/, in its language's part of the
    site (/ru/2022/10/11/…/) whatever page links to it."""
    pattern = article_pattern(language, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return filled(pattern, timezone.localtime(published_at).date(), slug)


def article_addresses():
    """article_path() for many articles (a sitemap page has a thousand): `address(language,
    day, slug)`, `day` the publication date in the site's time zone, with the URL configuration
    looked up once. reverse() is asked once per language (article_pattern), and each address
    then filled in as reverse() would — 1 µs rather than 80."""
    urlconf, prefix = get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()
    patterns = {}

    def address(language, day, slug):
        if language not in patterns:
            patterns[language] = article_pattern(language, urlconf, prefix)
        return filled(patterns[language], day, slug)

    return address


def filled(pattern, day, slug):
    """An article_pattern() with the article's day and slug, quoted as reverse() quotes."""
    path = pattern.format(year=day.year, month=day.month, day=day.day, slug=slug)
    if path.isascii():  # a slug's ASCII letters, digits, "-" and "_" need no quoting
        return path
    return quote(path, safe=RFC3986_SUBDELIMS + "/~:@")


# Stand-ins reverse() fills in, then replaced by the format's fields.
PATTERN_STAND_INS = {"year": 7771, "month": 7772, "day": 7773, "slug": "stand-in-7774"}


@lru_cache(maxsize=64)
def article_pattern(language, urlconf, script_prefix):
    with in_language(language):
        sample = reverse("explainers:article", urlconf=urlconf, kwargs=PATTERN_STAND_INS)
    pattern = unquote(sample).replace("{", "{{").replace("}", "}}")
    for name, value in PATTERN_STAND_INS.items():
        if str(value) not in pattern:
            raise ImproperlyConfigured("The article address no longer has its parts.")
        pattern = pattern.replace(str(value), "{" + name + "}")
    return pattern


CONSTANT = object()
STAND_IN_TIME = datetime.datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=datetime.UTC)
STAND_IN_ID = -7_654_321


@lru_cache(maxsize=64)
def compiled_related(alias, tag_count, limit, content_type, language):
    """(sql, slots) of ArticleQuerySet.related_to for this many tags: each slot says which
    stand-in a parameter was ("now", "article", ("tag", n)), or CONSTANT with its value."""
    tags = [STAND_IN_ID - 1 - n for n in range(tag_count)]
    queryset = (
        Article.objects.using(alias)
        .published(now=STAND_IN_TIME)
        .filter(tags__in=tags, language=language)  # a constant of the compiled query
        .exclude(pk=STAND_IN_ID)
        .annotate(shared=models.Count("tags"))
        .order_by("-shared", "-published_at", "-id")
        .only("headline", "slug", "published_at", "language")[:limit]
    )
    sql, params = queryset.query.get_compiler(alias).as_sql()
    connection = connections[alias]
    stand_ins = {
        Article._meta.get_field("published_at").get_db_prep_value(STAND_IN_TIME, connection): "now",
        STAND_IN_ID: "article",
        **{tag: ("tag", n) for n, tag in enumerate(tags)},
    }
    slots = [(stand_ins.get(param, CONSTANT), param) for param in params]
    found = {slot for slot, _ in slots if slot is not CONSTANT}
    if len(found) != 2 + tag_count:
        raise ImproperlyConfigured("The related-articles query no longer has its parameters.")
    return sql, slots


def language_choices():
    return settings.LANGUAGES


def default_language():
    return settings.NEWSROOM_LANGUAGE


@reversion.register(follow=("sections", "quotes", "bylines", "notes", "tagged_items"))
class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"

    uuid = models.UUIDField("UUID", default=uuid4, unique=True, editable=False)
    kicker = models.CharField(
        max_length=40, blank=True, default="Explainer", help_text="The label above the headline."
    )
    headline = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        allow_unicode=True,
        help_text="The last part of the article's address: letters in any script, digits and "
        "hyphens.",
    )
    dek = models.CharField(
        "summary",
        max_length=300,
        blank=True,
        help_text="One sentence under the headline; also the page's description in search results.",
    )
    lead = RichTextField(blank=True, help_text="The opening paragraphs, before the first question.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "publication date",
        null=True,
        blank=True,
        db_index=True,
        help_text="Readers see a published article from this moment on; a future date schedules it.",
    )
    expires_at = models.DateTimeField(
        "take down at",
        null=True,
        blank=True,
        db_index=True,
        help_text="For a takedown or time-limited content: from this moment the article is gone "
        "(410) and leaves the lists, feeds and sitemaps. Empty: it stays.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    authors = models.ManyToManyField(Author, through="Byline", related_name="articles", blank=True)
    hero_photo = models.ForeignKey(
        "photos.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hero_of",
        help_text="Chosen from the photo library, which holds its alt text and credit.",
    )
    hero_caption = models.CharField(
        "caption for this story",
        max_length=500,
        blank=True,
        help_text="Leave empty to use the photo's own caption.",
    )
    hero_credit = models.CharField(
        "credit for this story",
        max_length=200,
        blank=True,
        help_text="Leave empty to use the photo's own credit.",
    )
    contributed_by = models.CharField(
        max_length=200,
        blank=True,
        help_text='Shown as "AFP contributed reporting." at the foot of the article.',
    )
    original_url = HttpURLField(
        "original URL",
        max_length=500,
        blank=True,
        help_text="Where the article first appeared, if elsewhere. Used as the canonical link.",
    )
    lead_sources = models.ManyToManyField(
        Source,
        blank=True,
        related_name="lead_citations",
        verbose_name="sources cited in the lead",
    )
    tags = TaggableManager(blank=True)
    language = models.CharField(
        max_length=10,
        choices=language_choices,
        default=default_language,
        help_text="The language it is written in. Each language's version of a story is its own "
        "article, linked to the others as translations.",
    )
    # The versions of one story share this key (Wagtail's translation_key); each is written,
    # reviewed, scheduled and corrected on its own.
    translation_key = models.UUIDField(default=uuid4, editable=False, db_index=True)
    translated_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="translations_made",
        help_text="The version this one was translated from.",
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ("-published_at", "-id")
        get_latest_by = "published_at"
        permissions = [("publish_article", "Can publish, schedule and unpublish articles")]
        indexes = [
            # published(): the status filter with the newest-first order every listing uses.
            models.Index(
                fields=["status", "-published_at", "-id"], name="article_status_published"
            ),
            # listed(): one language's published articles, newest first (and so its tag and
            # author pages, which walk it and check each article's tags or bylines).
            models.Index(
                fields=["language", "status", "-published_at", "-id"],
                name="article_language_listing",
            ),
            # The sitemaps' "last changed": the newest updated_at among published articles.
            models.Index(fields=["status", "-updated_at"], name="article_status_updated"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=("translation_key", "language"),
                name="one_version_per_language",
                violation_error_message="This story already has a version in that language.",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="published_article_has_date",
                violation_error_message="A published article needs a publication date.",
            ),
        ]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        if self.published_at is None:
            return reverse("explainers:preview", kwargs={"pk": self.pk})
        return article_path(self.language, self.published_at, self.slug)

    def version_list(self):
        """versions() as stored in the page document: what the page needs of each, no more."""
        fields = ("pk", "language", "headline", "slug", "status", "published_at", "translated_from")
        return [
            {
                "id": row["pk"],
                "language": row["language"],
                "headline": row["headline"],
                "url": Article(
                    slug=row["slug"], language=row["language"], published_at=row["published_at"]
                ).get_absolute_url()
                if row["published_at"]
                else None,
                "status": row["status"],
                "published_at": row["published_at"].isoformat() if row["published_at"] else None,
                "translated_from": row["translated_from"],
            }
            for row in self.versions().values(*fields)
        ]

    def versions(self):
        """The other language versions of this story (any state), by language."""
        return (
            Article.objects.filter(translation_key=self.translation_key)
            .exclude(pk=self.pk)
            .order_by("language")
        )

    def is_published(self):
        """Mirrors ArticleQuerySet.published() for an article already in hand."""
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
            and (self.expires_at is None or self.expires_at > now)
        )

    def is_expired(self):
        """Mirrors ArticleQuerySet.expired()."""
        return (
            self.status == self.Status.PUBLISHED
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        )

    @property
    def hero_caption_text(self):
        return self.hero_caption or (self.hero_photo.caption if self.hero_photo else "")

    @property
    def hero_credit_text(self):
        return self.hero_credit or (self.hero_photo.credit if self.hero_photo else "")

    @property
    def tagged_items(self):
        """The article's taggings (taggit's TaggedItem rows). The reversion registration follows
        them, so a revision holds the tags: the comparison shows a tag change and a restore
        brings the tags back."""
        return TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article), object_id=self.pk
        )

    def last_updated(self):
        """When readers were last told of a change: the newest note or question marked updated.

        Uses the prefetched notes and sections; a typo fixed quietly is not an update.
        """
        times = [note.noted_at for note in self.notes.all()]
        times += [s.revised_at for s in self.sections.all() if s.revised_at]
        latest = max(times, default=None)
        if latest and self.published_at and latest > self.published_at:
            return latest
        return None

    def publish_checklist(self, may_set_date=True):
        """The publish checks as the checklist on the article's page: Check (check, problems)
        pairs, in the order an article is written; a check with no problems is done.
        `may_set_date`: whether the reader of the list may set the publication date (ask
        workflow.may_set_publication_date); for anyone else a missing date is the editor's, set
        on publishing, not a task of theirs. A hero photo is optional: without one, its check
        says so rather than counting as done."""
        sections = [(s.question, s.answer) for s in self.sections.all()]
        if self.published_at or may_set_date:
            date = Check(
                "Publication date", [] if self.published_at else ["Set a publication date."]
            )
        else:
            date = Check("Publication date, set on publishing", [], "By the editor")
        if self.hero_photo_id:
            hero = Check("Hero photo alt text and credit", article_problems(self, check_date=False))
        else:
            hero = Check("No hero photo", [], "Optional")
        return [
            date,
            Check("Questions, each with an answer", section_problems(sections)),
            Check(
                "Quotes, each with a speaker",
                quote_problems((q.text, q.speaker_id) for q in self.quotes.all()),
            ),
            hero,
            Check("Links, each with an address", self.link_problems()),
        ]

    def link_problems(self):
        sections = self.sections.all()
        anchors = {s.anchor for s in sections}
        return link_problems("The lead", self.lead, anchors) + answer_link_problems(
            (s.answer for s in sections), anchors
        )

    def publish_problems(self):
        """Everything that stops this article, as saved, from being published."""
        return (
            article_problems(self)
            + section_problems((s.question, s.answer) for s in self.sections.all())
            + quote_problems((q.text, q.speaker_id) for q in self.quotes.all())
            + self.link_problems()
        )

    def citations(self):
        """(section id, or None for the lead, Source) for every source the lead and the answers
        cite — one query over both link tables."""
        fields = ("source_id", "source__name", "source__kind", "source__url", "source__publisher")
        lead = (
            Article.lead_sources.through.objects.filter(article_id=self.pk)
            .annotate(section=models.Value(None, output_field=models.IntegerField()))
            .values_list("section", *fields)
        )
        answers = (
            QuestionSection.sources.through.objects.filter(questionsection__article_id=self.pk)
            .annotate(section=models.F("questionsection_id"))
            .values_list("section", *fields)
        )
        return [
            (section, Source(id=pk, name=name, kind=kind, url=url, publisher=publisher))
            for section, pk, name, kind, url, publisher in lead.union(answers, all=True)
        ]

    def cited_sources(self, citations=None):
        """Every source the lead, the answers and the quotes cite, in order of first citation
        (`citations`: what citations() gave, if already read)."""
        cited = defaultdict(list)
        for section_id, source in self.citations() if citations is None else citations:
            cited[section_id].append(source)
        quotes = list(self.quotes.all())
        groups = [sorted(cited[None], key=lambda s: s.name)]
        groups.append([q.source for q in quotes if q.section_id is None and q.source])
        for section in self.sections.all():
            groups.append(sorted(cited[section.pk], key=lambda s: s.name))
            groups.append([q.source for q in quotes if q.section_id == section.pk and q.source])
        seen, ordered = set(), []
        for source in (s for group in groups for s in group):
            if source.pk not in seen:
                seen.add(source.pk)
                ordered.append(source)
        return ordered


# The article's tags, followed from Article.tagged_items (taggit's own model).
reversion.register(TaggedItem)


@reversion.register()
class Byline(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")
        constraints = [
            models.UniqueConstraint(fields=("article", "author"), name="unique_byline_author"),
        ]

    def __str__(self):
        return str(self.author)


# Ids the article page itself uses; a question's anchor must not take one of them.
RESERVED_ANCHORS = {"main", "content", "contents", "sources", "notes", "related", "tags", "top"}


@reversion.register()
class QuestionSection(models.Model):
    uuid = models.UUIDField("UUID", default=uuid4, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    question = models.CharField(max_length=300)
    anchor = models.SlugField(
        max_length=80,
        blank=True,
        allow_unicode=True,
        help_text="The question's link, #anchor. Made from the question when first saved and kept "
        "when the question changes, so links shared by readers keep working.",
    )
    answer = RichTextField(blank=True)
    revised_at = models.DateTimeField(
        "marked updated",
        null=True,
        blank=True,
        help_text="When the answer last changed after publication. Readers see “Updated” beside "
        "the question.",
    )
    sources = models.ManyToManyField(
        Source, blank=True, related_name="section_citations", verbose_name="sources cited"
    )

    class Meta:
        ordering = ("position", "id")
        verbose_name = "question section"
        constraints = [
            models.UniqueConstraint(
                fields=("article", "position"),
                name="unique_section_position",
                violation_error_message="Two questions of this article have the same position.",
            ),
            models.UniqueConstraint(
                fields=("article", "anchor"),
                name="unique_section_anchor",
                violation_error_message="Two questions of this article have the same anchor.",
            ),
        ]

    def __str__(self):
        return self.question

    def save(self, *args, **kwargs):
        if not self.anchor:
            self.anchor = self.unique_anchor()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#{self.anchor}"

    def unique_anchor(self):
        taken = set(
            QuestionSection.objects.filter(article_id=self.article_id)
            .exclude(pk=self.pk)
            .values_list("anchor", flat=True)
        )
        return anchor_for(self.question, taken)


def anchor_for(question, taken):
    """A question's anchor made from its words, unlike any in `taken` and any id the page uses."""
    base = slugify(question, allow_unicode=True)[:70].strip("-") or "question"
    if base in RESERVED_ANCHORS:
        base = f"{base}-question"
    anchor, n = base, 2
    while anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    return anchor


@reversion.register()
class Quote(models.Model):
    uuid = models.UUIDField("UUID", default=uuid4, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="quotes")
    section = models.ForeignKey(
        QuestionSection,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quotes",
        help_text="The question whose answer holds the quote. Empty: the lead.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    after_paragraph = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Show the quote after this paragraph of the answer (0: before the first). "
        "Empty: after the last paragraph.",
    )
    text = models.TextField(help_text="The speaker's words, without quotation marks.")
    speaker = models.ForeignKey(
        Speaker, on_delete=models.PROTECT, null=True, blank=True, related_name="quotes"
    )
    speaker_role = models.CharField(
        "role at the time",
        max_length=200,
        blank=True,
        help_text='The speaker\'s role when they said it, e.g. "Belarusian Defense Minister".',
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
        help_text='Where the quote was reported, e.g. "according to state news agency Belta".',
    )
    said_on = models.DateField(null=True, blank=True)
    context = models.CharField(
        max_length=300,
        blank=True,
        help_text='For example "during a meeting with security officials".',
    )

    class Meta:
        ordering = ("position", "id")

    def __str__(self):
        return Truncator(self.text).chars(60)

    def get_absolute_url(self):
        """Where the quote stands: its question, or the top of the article for the lead."""
        url = self.article.get_absolute_url()
        return f"{url}#{self.section.anchor}" if self.section_id else url

    def clean(self):
        check_own_section(self)


@reversion.register()
class UpdateNote(models.Model):
    """A dated note telling readers what changed, on the article or on one question."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        UPDATE = "update", _("Update")
        CLARIFICATION = "clarification", _("Clarification")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="notes")
    section = models.ForeignKey(
        QuestionSection,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notes",
        help_text="The question it concerns. Empty: the article as a whole.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.UPDATE)
    text = models.TextField(help_text="What changed, in a sentence or two, for readers.")
    noted_at = models.DateTimeField("date", default=timezone.now)

    class Meta:
        ordering = ("noted_at", "id")
        verbose_name = "correction or update"
        verbose_name_plural = "corrections and updates"

    def __str__(self):
        return f"{self.get_kind_display()}: {Truncator(self.text).chars(60)}"

    @property
    def label(self):
        return gettext("Updated") if self.kind == self.Kind.UPDATE else str(self.get_kind_display())

    def clean(self):
        check_own_section(self)


SHARE_SALT = "explainers.share-link"


class ShareLink(models.Model):
    """A signed, expiring, revocable link that shows an unpublished article to someone outside."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="share_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(help_text="The link stops working at this time.")
    revoked = models.BooleanField(default=False, help_text="Tick to stop the link working now.")

    class Meta:
        ordering = ("-created_at",)

    def __str__(self):
        return f"Share link for “{self.article}”"

    def share_url(self):
        """The link to hand out. Deliberately not get_absolute_url(): the admin's "view on site"
        shortcut would redirect any staff member to a live token."""
        token = signing.Signer(salt=SHARE_SALT).sign(str(self.pk))
        return reverse("explainers:shared", kwargs={"token": token})

    def is_active(self):
        return not self.revoked and self.expires_at > timezone.now()

    @classmethod
    def from_token(cls, token):
        """The live link a token names, or None for a forged, expired or revoked one."""
        try:
            pk = int(signing.Signer(salt=SHARE_SALT).unsign(token))
        except (signing.BadSignature, ValueError):
            return None
        link = cls.objects.filter(pk=pk).select_related("article").first()
        return link if link and link.is_active() else None


class ApiKey(models.Model):
    """A key to the content API (explainers.api): a partner's, reading what readers read, or one
    acting for a staff member, reading what that person may open on the site. Only a digest of
    the key is stored; the key itself is shown once, when it is made."""

    PREFIX = "nr_"

    name = models.CharField(max_length=200, help_text="Who uses it, e.g. “Partner: Daily Wire”.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_keys",
        limit_choices_to={"is_staff": True},
        verbose_name="acts for",
        help_text="Empty for a partner, who reads what readers read. A staff member's key reads "
        "drafts and scheduled articles as that person may on the site.",
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(
        max_length=12, editable=False, help_text="The key's first characters, to tell keys apart."
    )
    requests_per_minute = models.PositiveIntegerField(
        default=600, help_text="Requests above this in a minute are answered 429."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def digest_of(key):
        return hashlib.sha256(key.encode()).hexdigest()

    def generate(self):
        """Give this key a new secret; returns it (the only time it is seen)."""
        key = self.PREFIX + secrets.token_urlsafe(32)
        self.digest = self.digest_of(key)
        self.hint = key[: len(self.PREFIX) + 6]
        return key

    @classmethod
    def from_key(cls, key):
        """The live key this secret is, or None."""
        if not key.startswith(cls.PREFIX) or len(key) > 100:
            return None
        found = cls.objects.select_related("user").filter(digest=cls.digest_of(key)).first()
        if found is None or found.revoked_at is not None:
            return None
        if found.user is not None and not (found.user.is_active and found.user.is_staff):
            return None
        return found


def check_own_section(part):
    """A quote or a note may only sit in a question of its own article."""
    if part.section_id and part.article_id and part.section.article_id != part.article_id:
        raise ValidationError({"section": "This question belongs to another article."})


# The publish checks. Each takes plain values so the admin can run it on unsaved form data and
# Article.publish_problems() on saved rows: one set of rules for both.


class Check(tuple):
    """One line of Article.publish_checklist: a (check, problems) pair, with the word shown
    before it — "To do" while there are problems, "Done" without, or another word for a check
    that does not apply ("Optional")."""

    def __new__(cls, name, problems, state=None):
        check = super().__new__(cls, (name, problems))
        check.state = state or ("To do" if problems else "Done")
        return check

    @property
    def name(self):
        return self[0]

    @property
    def problems(self):
        return self[1]

    @property
    def css_class(self):
        return {"To do": "check-missing", "Done": "check-done"}.get(self.state, "check-other")


def article_problems(article, check_date=True):
    """`article`: anything with published_at, hero_photo and hero_credit (a form's values too)."""
    problems = []
    if check_date and not article.published_at:
        problems.append("Set a publication date.")
    photo = article.hero_photo
    if photo:
        if not photo.alt_text.strip():
            problems.append("The hero photo needs alt text (in the photo library).")
        if not (article.hero_credit.strip() or photo.credit.strip()):
            problems.append("The hero photo needs a credit.")
    return problems


def section_problems(sections):
    """`sections`: (question, answer) pairs in order."""
    sections = list(sections)
    if not sections:
        return ["Add at least one question section."]
    return [
        f"Question {n} (“{question}”) has no answer."
        for n, (question, answer) in enumerate(sections, start=1)
        if not html_to_text(answer)
    ]


def link_problems(where, value, anchors=None):
    """Links in a lead or answer still waiting for their address (placeholders from an import,
    or links whose address sanitising dropped), or with one that is not a web address: the forms
    refuse those, but an import or a script may have saved them.

    `anchors`: the anchors of the article's questions, when known; a link to "#anchor" must name
    one of them."""
    problems = [f"{where} links “{words}” to no address yet." for words in placeholder_links(value)]
    for words, address, _reason in refused_links(value):
        problems.append(f"{where} links “{words}” to “{address}”, which is not a web address.")
    if anchors is not None:
        for words, href in links(value):
            if href and href.startswith("#") and href != "#" and href[1:] not in anchors:
                problems.append(
                    f"{where} links “{words}” to “{href}”, which is no question of this explainer."
                )
    return problems


def answer_link_problems(answers, anchors=None):
    """`answers`: the answers in order, as sanitised HTML."""
    return [
        problem
        for n, answer in enumerate(answers, start=1)
        for problem in link_problems(f"Question {n}", answer, anchors)
    ]


def quote_problems(quotes):
    """`quotes`: (text, speaker) pairs in order; a missing speaker is None."""
    return [
        f"Quote {n} (“{Truncator(text).chars(50)}”) has no speaker."
        for n, (text, speaker) in enumerate(quotes, start=1)
        if not speaker
    ]


class ArticleDocument(models.Model):
    """The article page's own content, rendered once when the article changes.

    Derived data, never edited: everything the page shows from the article, its hero photo, its
    sections, quotes, notes, sources, bylines and tags — the article from its header to its
    footer as HTML, and what the page's head and JSON-LD need. Any write to those discards and
    rebuilds it (explainers.signals, explainers.document), so a reader's page costs one query for
    the article with its photo and this row, plus the related list. `manage.py
    rebuild_documents` rebuilds them all.
    """

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="document"
    )
    body = models.TextField()
    tags = models.JSONField(default=list)  # [{"id", "name", "slug"}]
    # The content's schema.org members (explainers.metadata.content_json_ld), site-relative URLs.
    json_ld = models.JSONField(default=dict)
    # The whole explainer as the content API gives it (explainers.api.data), site-relative URLs.
    api = models.JSONField(default=dict)
    # The story's other language versions, in any state (the page shows the published ones):
    # [{"id", "language", "headline", "url", "status", "published_at", "translated_from"}].
    translations = models.JSONField(default=list)
    last_updated = models.DateTimeField(null=True)
    built_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Page document of article {self.article_id}"


class Redirect(models.Model):
    """An old address of an article, answered with a permanent redirect (301) to wherever the
    article is now: recorded when a published article's slug or date changes (and by imports
    from other systems), and kept by editors in the admin. The target is the article, not an
    address, so a story moved twice sends its oldest address straight to the newest."""

    old_path = models.CharField(
        "old address",
        max_length=500,
        unique=True,
        help_text="The path as readers had it, e.g. /2022/10/11/old-slug/ (no domain).",
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self):
        return f"{self.old_path} → {self.article}"

    def clean(self):
        path = self.old_path or ""
        if not path.startswith("/") or "://" in path or any(c.isspace() for c in path):
            raise ValidationError({"old_path": "An address on this site: a path starting with /."})
        if self.article_id and path == unquote(self.article.get_absolute_url()):
            raise ValidationError({"old_path": "That is where the article is now."})
