import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from explainers.models import Article, QuestionSection, Quote, Source, Speaker
from tests.conftest import make_article, make_photo

pytestmark = pytest.mark.django_db


def test_slugs_are_unique_in_the_database():
    make_article()
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(headline="Another", slug="what-is-the-union-state")


def test_a_published_article_without_a_date_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(headline="Undated", slug="undated", status="published")


def test_two_questions_cannot_share_a_position():
    article = make_article(sections=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionSection.objects.create(article=article, position=1, question="Another?", anchor="x")


def test_two_questions_cannot_share_an_anchor():
    article = make_article(sections=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionSection.objects.create(
            article=article, position=2, question="Other?", anchor="question-number-1"
        )


def test_anchor_is_made_from_the_question_and_kept_when_the_question_changes():
    article = make_article(sections=0)
    section = QuestionSection.objects.create(
        article=article, position=1, question="How many troops?"
    )
    assert section.anchor == "how-many-troops"
    section.question = "How many troops will be assembled?"
    section.save()
    section.refresh_from_db()
    assert section.anchor == "how-many-troops"


def test_the_same_question_in_one_article_gets_distinct_anchors_and_avoids_page_ids():
    article = make_article(sections=0)
    first = QuestionSection.objects.create(article=article, position=1, question="Why?")
    second = QuestionSection.objects.create(article=article, position=2, question="Why?!")
    sources = QuestionSection.objects.create(article=article, position=3, question="Sources?")
    assert (first.anchor, second.anchor) == ("why", "why-2")
    assert sources.anchor == "sources-question"


def test_the_same_anchor_is_fine_in_another_article():
    one = make_article(sections=1)
    two = make_article(sections=1, slug="second")
    assert one.sections.get().anchor == two.sections.get().anchor


def test_rich_text_is_sanitised_on_save():
    article = make_article(
        lead='<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">a</a>'
        '<a href="https://example.com" style="color:red">b</a><img src=x onerror=alert(1)></p>'
    )
    article.refresh_from_db()
    assert article.lead == '<p>Hi <a>a</a><a href="https://example.com">b</a></p>'


def test_plain_text_typed_into_a_body_becomes_paragraphs():
    article = make_article(slug="plain", lead="First paragraph.\n\nSecond & last.")
    article.refresh_from_db()
    assert article.lead == "<p>First paragraph.</p><p>Second &amp; last.</p>"


def test_the_sources_list_is_derived_from_citations_in_reading_order():
    article = make_article(sections=2, quotes_per_section=0)
    belta = Source.objects.create(name="Belta", kind="agency")
    icds = Source.objects.create(name="ICDS", kind="report")
    statement = Source.objects.create(name="Ministry statement", kind="statement")
    unused = Source.objects.create(name="Unused")
    first, second = article.sections.all()
    second.sources.add(icds, belta)
    Quote.objects.create(article=article, section=first, text="x", source=statement)
    article.lead_sources.add(belta)
    assert [s.name for s in article.cited_sources()] == ["Belta", "Ministry statement", "ICDS"]
    assert unused not in article.cited_sources()


def test_publish_checks_name_each_problem():
    photo = make_photo(renditions=False, alt_text=" ", credit="")
    article = make_article(sections=2, status="draft", published_at=None, hero_photo=photo)
    first, second = article.sections.all()
    second.answer = "<p> </p>"
    second.save()
    Quote.objects.filter(section=first).update(speaker=None)
    assert article.publish_problems() == [
        "Set a publication date.",
        "The hero photo needs alt text (in the photo library).",
        "The hero photo needs a credit.",
        "Question 2 (“Question number 2?”) has no answer.",
        "Quote 1 (“Words 1.0”) has no speaker.",
    ]


def test_a_complete_article_has_no_publish_problems():
    assert make_article().publish_problems() == []


def test_an_article_without_questions_cannot_be_published():
    assert make_article(sections=0).publish_problems() == ["Add at least one question section."]


@pytest.mark.parametrize(
    "status, offset, visible, scheduled",
    [
        ("published", -1, True, False),
        ("published", +1, False, True),
        ("draft", -1, False, False),
        ("draft", +1, False, False),
        ("review", +1, False, False),
    ],
)
def test_published_queryset_and_is_published_agree(status, offset, visible, scheduled):
    article = make_article(
        status=status, published_at=timezone.now() + datetime.timedelta(hours=offset)
    )
    assert (article in Article.objects.published()) is visible
    assert article.is_published() is visible
    # Scheduled: what published() will show once its time comes, and nothing else.
    assert (article in Article.objects.scheduled()) is scheduled


def test_article_url_uses_the_publication_date_and_drafts_use_the_preview():
    article = make_article(published_at=datetime.datetime(2022, 10, 11, 12, tzinfo=datetime.UTC))
    assert article.get_absolute_url() == "/2022/10/11/what-is-the-union-state/"
    draft = make_article(slug="draft", status="draft", published_at=None)
    assert draft.get_absolute_url() == f"/preview/{draft.pk}/"


def test_speakers_are_shared_across_articles():
    one = make_article()
    two = make_article(slug="two")
    speaker = Speaker.objects.get()
    assert set(speaker.quotes.values_list("article", flat=True)) == {one.pk, two.pk}


def test_a_storys_credit_overrides_the_photos():
    photo = make_photo(renditions=False, credit="", caption="Library caption")
    article = make_article(hero_photo=photo)
    assert article.publish_problems() == ["The hero photo needs a credit."]
    article.hero_credit = "Sergei Grits / AP / TASS"
    assert article.publish_problems() == []
    assert (article.hero_caption_text, article.hero_credit_text) == (
        "Library caption",
        "Sergei Grits / AP / TASS",
    )


def test_a_question_in_russian_gets_a_readable_anchor_on_the_page(client, db):
    article = make_article(sections=0)
    section = QuestionSection.objects.create(
        article=article, position=1, question="Что такое Союзное государство?", answer="<p>Да.</p>"
    )
    assert section.anchor == "что-такое-союзное-государство"
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'id="что-такое-союзное-государство"' in page
