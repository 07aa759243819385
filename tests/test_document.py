"""The article page's stored document: rebuilt by every kind of write, so readers never see an
old one (explainers/document.py, explainers/signals.py)."""

import pytest
from django.core.management import call_command
from taggit.models import Tag

from explainers.models import ArticleDocument, QuestionSection, Quote, Source, Speaker, UpdateNote

from .conftest import make_article, make_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.NEWSROOM_PAGE_CACHE = False  # these tests are about the document, not the cache


@pytest.fixture
def article():
    article = make_article(sections=2)
    article.tags.add("Belarus")
    return article


def page(client, article):
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_a_visit_stores_the_document_and_the_next_visit_reads_it(client, article):
    assert not ArticleDocument.objects.filter(article=article).exists()
    assert "Question number 2?" in page(client, article)
    stored = ArticleDocument.objects.get(article=article)
    assert "Question number 2?" in stored.body
    assert stored.tags == [
        {"id": Tag.objects.get(name="Belarus").pk, "name": "Belarus", "slug": "belarus"}
    ]


def edit_question(article):
    section = QuestionSection.objects.get(article=article, position=2)
    section.question = "Renamed?"
    section.save()


def rename_speaker(article):
    speaker = Speaker.objects.get(slug="victor-khrenin")
    speaker.name = "V. Khrenin"
    speaker.save()


def add_note(article):
    UpdateNote.objects.create(
        article=article, kind="correction", text="An earlier version misdated the treaty."
    )


def cite_source(article):
    article.lead_sources.add(Source.objects.create(name="Belta", kind="agency"))


@pytest.mark.parametrize(
    "change, shown",
    [
        (edit_question, "Renamed?"),
        (rename_speaker, "V. Khrenin"),
        (lambda article: article.tags.add("Ukraine"), 'href="/tags/ukraine/"'),
        (add_note, "An earlier version misdated the treaty."),
        (cite_source, ">Belta</a>"),
    ],
    ids=["question edited", "speaker renamed", "tag added", "note added", "source cited"],
)
def test_every_kind_of_write_reaches_the_page(client, article, change, shown):
    page(client, article)  # stores the document
    change(article)
    assert shown in page(client, article)


def test_renaming_a_tag_or_deleting_a_source_reaches_every_page_showing_it(client, article):
    other = make_article(slug="other", sections=1)
    other.tags.add("Belarus")
    source = Source.objects.create(name="Belta", kind="agency")
    for story in (article, other):
        story.sections.first().sources.add(source)
        assert ">Belta</a>" in page(client, story)

    tag = Tag.objects.get(name="Belarus")
    tag.name = "Belarus (politics)"
    tag.save()
    source.delete()

    for story in (article, other):
        html = page(client, story)
        assert "Belarus (politics)" in html
        assert ">Belta</a>" not in html


def test_a_hero_photo_edited_in_the_library_reaches_the_page(client, article):
    article.hero_photo = make_photo(alt_text="Troops on a plain")
    article.save()
    assert 'alt="Troops on a plain"' in page(client, article)
    photo = article.hero_photo
    photo.alt_text = "Belarusian troops at a training ground"
    photo.save()
    assert 'alt="Belarusian troops at a training ground"' in page(client, article)


def test_the_document_is_rebuilt_when_the_write_commits(
    client, article, django_capture_on_commit_callbacks
):
    page(client, article)
    with django_capture_on_commit_callbacks(execute=True):
        quote = Quote.objects.filter(article=article).first()
        quote.text = "Fresh words."
        quote.save()
    # Built by the writer, not left for the next reader.
    assert "Fresh words." in ArticleDocument.objects.get(article=article).body


def test_rebuild_documents_builds_every_missing_document(article):
    other = make_article(slug="other", sections=1)
    ArticleDocument.objects.all().delete()
    call_command("rebuild_documents", "--missing-only", verbosity=0)
    assert set(ArticleDocument.objects.values_list("article_id", flat=True)) == {
        article.pk,
        other.pk,
    }
