"""The editor's tools in the admin: importing pasted text, and the publish checklist."""

import re

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from explainers.models import Article, Quote

from .conftest import make_article

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:explainers_article_import")


def html(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def test_the_change_list_links_to_the_import_page(reporter_client):
    page = html(reporter_client.get(reverse("admin:explainers_article_changelist")))
    assert page.find("a", string="Import explainer")["href"] == IMPORT_URL


def test_pasted_text_is_previewed_and_nothing_is_written_until_confirmed(
    reporter_client, reporter, reference_text
):
    page = html(reporter_client.post(IMPORT_URL, {"step": "preview", "text": reference_text}))

    assert not Article.objects.exists()
    preview = page.select_one(".newsroom-import-preview")
    assert preview.select_one(".import-headline").text == (
        "Is the Belarus-Russia ‘Joint Military Group’ a Threat to Ukraine?"
    )
    assert "James Beardsworth" in preview.text and "October 11, 2022" in preview.text
    questions = [q.text for q in preview.select(".import-question")]
    assert len(questions) == 5 and questions[1] == "How many troops will be assembled?"
    speakers = {s.text for s in preview.select(".import-speaker")}
    assert {"Alexander Lukashenko", "Victor Khrenin"} <= speakers
    assert "4 placeholder links to fill in" in preview.text
    report = [li.text for li in preview.select(".import-report li")]
    assert any(
        re.fullmatch(r"line \d+: question: How many troops will be assembled\?", r) for r in report
    )

    # Confirming sends the same text back; it is parsed again and saved as the reporter's draft.
    confirm = page.select_one('form input[name="step"][value="confirm"]').find_parent("form")
    text = confirm.select_one('textarea[name="text"]').text
    response = reporter_client.post(IMPORT_URL, {"step": "confirm", "text": text})

    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:explainers_article_change", args=[article.pk])
    assert article.status == Article.Status.DRAFT and article.created_by == reporter
    assert article.sections.count() == 5 and article.quotes.count() == 4


def test_an_uploaded_file_is_read_as_text_whatever_its_name(reporter_client, reference_text):
    upload = SimpleUploadedFile("story.exe", reference_text.encode(), "application/x-msdownload")
    page = html(reporter_client.post(IMPORT_URL, {"step": "preview", "upload": upload}))
    assert "Joint Military Group" in page.select_one(".import-headline").text
    assert not Article.objects.exists()


def test_bad_text_is_refused_with_its_line_number_and_nothing_written(reporter_client):
    binary = SimpleUploadedFile("photo.txt", b"Headline\n\nBy someone\n\x00\x01", "text/plain")
    page = html(reporter_client.post(IMPORT_URL, {"step": "preview", "upload": binary}))
    assert "line 4: contains a NUL byte" in page.select_one(".errornote").text

    page = html(reporter_client.post(IMPORT_URL, {"step": "confirm", "text": "   "}))
    assert "Paste the text of an explainer or choose a file." in page.text
    assert not Article.objects.exists()


def test_importing_over_an_existing_article_is_refused(reporter_client, reference_text):
    reporter_client.post(IMPORT_URL, {"step": "confirm", "text": reference_text})
    page = html(reporter_client.post(IMPORT_URL, {"step": "confirm", "text": reference_text}))
    assert "already exists (draft)" in page.select_one(".errornote").text
    assert Article.objects.count() == 1


def test_the_import_page_needs_the_add_permission(client, django_user_model):
    user = django_user_model.objects.create_user("visitor", password="pw-visitor-1", is_staff=True)
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403


def test_the_checklist_names_what_a_broken_draft_is_missing(editor_client):
    article = make_article(status=Article.Status.DRAFT, published_at=None, sections=2)
    article.sections.filter(position=2).update(answer="")
    Quote.objects.filter(article=article).update(speaker=None)
    page = html(editor_client.get(reverse("admin:explainers_article_change", args=[article.pk])))

    checklist = page.select_one(".newsroom-checklist")
    assert checklist.h2.text == "Before this can be published"
    items = {
        li.contents[2].strip(): li for li in checklist.select("li.check-missing, li.check-done")
    }
    assert "Set a publication date." in items["Publication date"].text
    assert (
        "Question 2 (“Question number 2?”) has no answer."
        in items["Questions, each with an answer"].text
    )
    assert "Quote 1 (“Words 1.0”) has no speaker." in items["Quotes, each with a speaker"].text
    assert items["Hero photo alt text and credit"]["class"] == ["check-done"]


def test_a_complete_article_is_ready_to_publish(editor_client):
    article = make_article(status=Article.Status.DRAFT)
    page = html(editor_client.get(reverse("admin:explainers_article_change", args=[article.pk])))
    checklist = page.select_one(".newsroom-checklist")
    assert checklist.h2.text == "Ready to publish"
    assert not checklist.select("li.check-missing")
