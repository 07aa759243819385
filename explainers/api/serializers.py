"""The API's shape, field by field: what the schema (drf-spectacular) documents. The article
itself is built once and stored (explainers.api.data); these describe it."""

from rest_framework import serializers as s


class Link(s.Serializer):
    url = s.URLField(help_text="Its page on the site.")


class Rich(s.Serializer):
    html = s.CharField(help_text="Sanitised HTML: paragraphs, lists, links, emphasis.")
    text = s.CharField(help_text="The same as plain text, paragraphs separated by a blank line.")


class Lead(Rich):
    sources = s.ListField(child=s.IntegerField(), help_text="Ids of the sources the lead cites.")


class Person(Link):
    id = s.IntegerField()
    name = s.CharField()
    slug = s.CharField()


class SourceRef(Link):
    id = s.IntegerField()
    name = s.CharField()
    kind = s.ChoiceField(choices=["agency", "report", "statement", "publication", "other"])
    url = s.URLField(allow_null=True, help_text="The source's own address, if it has one.")
    publisher = s.CharField(allow_blank=True)
    site_url = s.URLField(help_text="The source's page on the site: the articles citing it.")
    api_url = s.URLField()


class Question(s.Serializer):
    id = s.IntegerField()
    position = s.IntegerField(help_text="1 for the first question.")
    question = s.CharField()
    anchor = s.CharField(help_text="Its fragment on the article page: url#anchor.")
    url = s.URLField(help_text="The article page at this question.")
    answer = Rich()
    revised_at = s.DateTimeField(allow_null=True, help_text="Marked updated after publication.")
    sources = s.ListField(child=s.IntegerField(), help_text="Ids of the sources the answer cites.")


class QuoteOut(s.Serializer):
    id = s.IntegerField()
    text = s.CharField(help_text="The speaker's words, without quotation marks.")
    speaker = Person(allow_null=True)
    speaker_role = s.CharField(allow_blank=True, help_text="The speaker's role when they said it.")
    source = SourceRef(allow_null=True, help_text="Where the quote was reported.")
    context = s.CharField(allow_blank=True, help_text="E.g. “during a meeting with officials”.")
    said_on = s.DateField(allow_null=True)
    question = s.CharField(
        allow_null=True,
        help_text="The anchor of the question whose answer holds it; null: the lead.",
    )
    after_paragraph = s.IntegerField(
        allow_null=True,
        help_text="Shown after this paragraph (0: before the first); null: after the last.",
    )


class Note(s.Serializer):
    id = s.IntegerField()
    kind = s.ChoiceField(choices=["correction", "update", "clarification"])
    label = s.CharField(help_text="As readers see it: Correction, Updated, Clarification.")
    text = s.CharField()
    noted_at = s.DateTimeField()
    question = s.CharField(allow_null=True, help_text="The question it concerns; null: all.")


class Image(s.Serializer):
    url = s.URLField()
    width = s.IntegerField(allow_null=True)
    height = s.IntegerField(allow_null=True)


class Rendition(Image):
    format = s.ChoiceField(choices=["webp", "jpeg"])


class Photo(s.Serializer):
    id = s.IntegerField()
    alt_text = s.CharField(help_text="What the photo shows, for readers who cannot see it.")
    caption = s.CharField(allow_blank=True)
    credit = s.CharField(allow_blank=True)
    width = s.IntegerField(allow_null=True)
    height = s.IntegerField(allow_null=True)
    fallback = Image(
        help_text="The one image to use without srcset; the original until the renditions are made."
    )
    renditions = Rendition(many=True, help_text="16:9 crops, narrowest first, per format.")


class TagRef(Link):
    name = s.CharField()
    slug = s.CharField()


class Thumbnail(Image):
    alt_text = s.CharField()


class ArticleSummary(s.Serializer):
    id = s.IntegerField()
    url = s.URLField(help_text="The article page.")
    api_url = s.URLField(help_text="The whole explainer in this API.")
    status = s.ChoiceField(
        choices=["draft", "review", "published", "unpublished"],
        help_text="Always 'published' but for staff keys.",
    )
    language = s.CharField(help_text="Its language code, e.g. en or ru.")
    kicker = s.CharField(allow_blank=True)
    headline = s.CharField()
    summary = s.CharField(allow_blank=True)
    published_at = s.DateTimeField(allow_null=True)
    updated_at = s.DateTimeField()
    hero_photo = Thumbnail(allow_null=True)
    tags = TagRef(many=True)
    authors = Person(many=True)


class Article(s.Serializer):
    id = s.IntegerField()
    url = s.URLField(help_text="The article page.")
    api_url = s.URLField()
    canonical_url = s.URLField(help_text="Where it first appeared, else its page.")
    status = s.ChoiceField(choices=["draft", "review", "published", "unpublished"])
    kicker = s.CharField(allow_blank=True)
    headline = s.CharField()
    language = s.CharField(
        help_text="Its language code, e.g. en or ru. Its versions in "
        "other languages are articles of their own."
    )
    slug = s.CharField()
    summary = s.CharField(allow_blank=True)
    published_at = s.DateTimeField(allow_null=True)
    updated_at = s.DateTimeField(help_text="Its last save.")
    last_updated = s.DateTimeField(
        allow_null=True, help_text="Its last correction or update shown to readers."
    )
    lead = Lead()
    questions = Question(many=True, help_text="In order.")
    quotes = QuoteOut(many=True)
    sources = SourceRef(many=True, help_text="Every source cited, in order of first citation.")
    notes = Note(many=True, help_text="Corrections and updates, oldest first.")
    hero_photo = Photo(allow_null=True)
    tags = TagRef(many=True)
    authors = Person(many=True)
    contributed_by = s.CharField(allow_blank=True, help_text="“AFP contributed reporting.”")


class Page(s.Serializer):
    next = s.URLField(allow_null=True, help_text="The next page; null on the last.")


class ArticlePage(Page):
    results = ArticleSummary(many=True)


class ArticleRef(s.Serializer):
    id = s.IntegerField()
    headline = s.CharField()
    url = s.URLField()
    api_url = s.URLField()
    published_at = s.DateTimeField(allow_null=True)


class SpeakerSummary(Person):
    usual_role = s.CharField(allow_blank=True)
    api_url = s.URLField()


class SpeakerQuote(s.Serializer):
    id = s.IntegerField()
    text = s.CharField()
    speaker_role = s.CharField(allow_blank=True)
    url = s.URLField(help_text="The article page where the quote stands.")
    article = ArticleRef()


class SpeakerDetail(SpeakerSummary):
    articles_url = s.URLField(help_text="Every article quoting them, in this API.")
    quotes = SpeakerQuote(many=True, help_text="Their newest quotes, at most 50.")


class SourceDetail(SourceRef):
    articles_url = s.URLField(help_text="Every article citing it, in this API.")
    articles = ArticleRef(many=True, help_text="The newest articles citing it, at most 50.")


class AuthorSummary(Person):
    api_url = s.URLField()


class AuthorDetail(AuthorSummary):
    bio = s.CharField(allow_blank=True)
    articles_url = s.URLField()
    articles = ArticleRef(many=True, help_text="Their newest articles, at most 50.")


class TagSummary(TagRef):
    api_url = s.URLField()


class TagDetail(TagSummary):
    articles_url = s.URLField()
    articles = ArticleRef(many=True, help_text="The newest articles with it, at most 50.")


def page_of(item):
    return type(
        f"{item.__name__.removesuffix('Summary')}Page", (Page,), {"results": item(many=True)}
    )


SpeakerPage, SourcePage, AuthorPage, TagPage = (
    page_of(SpeakerSummary),
    page_of(SourceRef),
    page_of(AuthorSummary),
    page_of(TagSummary),
)


class Detail(s.Serializer):
    detail = s.CharField(help_text="What went wrong, in words.")


ERRORS = {
    400: {
        "type": "object",
        "description": "Each parameter at fault (its name) with what is wrong with it.",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    401: Detail,
    404: Detail,
    429: Detail,
}
