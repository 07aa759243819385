"""The editor's tools in the admin: importing pasted text, the publish checklist, the writing
tools on the article's page and the desk. What they do in a browser is in test_browser.py."""

import datetime
import re

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from explainers.models import Article, Quote

from .conftest import make_article
from .test_admin import errors, form_data

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
        li.contents[2].strip(): li
        for li in checklist.select("li.check-missing, li.check-done, li.check-other")
    }
    assert "Set a publication date." in items["Publication date"].text
    assert (
        "Question 2 (“Question number 2?”) has no answer."
        in items["Questions, each with an answer"].text
    )
    assert "Quote 1 (“Words 1.0”) has no speaker." in items["Quotes, each with a speaker"].text
    # No photo: optional, and not called done.
    assert items["No hero photo"]["class"] == ["check-other"]


def test_a_complete_article_is_ready_to_publish(editor_client):
    article = make_article(status=Article.Status.DRAFT)
    page = html(editor_client.get(reverse("admin:explainers_article_change", args=[article.pk])))
    checklist = page.select_one(".newsroom-checklist")
    assert checklist.h2.text == "Ready to publish"
    assert not checklist.select("li.check-missing")


def test_an_imported_draft_lists_its_placeholder_links_and_cannot_be_published_with_them(
    editor_client, reference_text
):
    editor_client.post(IMPORT_URL, {"step": "confirm", "text": reference_text})
    article = Article.objects.get()
    url = reverse("admin:explainers_article_change", args=[article.pk])
    page = html(editor_client.get(url))
    links = next(
        li
        for li in page.select(".newsroom-checklist li.check-missing")
        if "Links, each with an address" in li.text
    )
    assert [li.text for li in links.select("li")] == [
        "The lead links “announced” to no address yet.",
        "Question 2 links “report” to no address yet.",
    ]

    data = form_data(editor_client.get(url))
    data.update({"status": "published", "published_at_0": "2022-10-11", "published_at_1": "12:00"})
    refused = editor_client.post(url, data)
    assert "Cannot publish: The lead links “announced” to no address yet." in errors(refused)
    assert "Cannot publish: Question 2 links “report” to no address yet." in errors(refused)
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


# Writing tools on the article's page.


def test_the_lead_and_answers_are_written_in_the_rich_text_editor_under_the_pages_csp(
    editor_client,
):
    article = make_article(status=Article.Status.DRAFT)
    response = editor_client.get(reverse("admin:explainers_article_change", args=[article.pk]))
    page = html(response)
    for name in ("lead", "sections-0-answer", "sections-1-answer"):
        assert page.select_one(f'textarea[name="{name}"]').has_attr(
            "data-django-prose-editor-newsroom"
        ), name
    assert page.select_one('script[type="module"][src$="admin/newsroom-editor.js"]')
    # The editor's import map is the page's one inline script; it carries the response's nonce.
    importmap = page.select_one('script[type="importmap"]')
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
    assert importmap["nonce"] == nonce
    assert "django_prose_editor/editor.js" in importmap.text


def test_headline_and_summary_count_against_the_lengths_search_results_show(editor_client):
    page = html(editor_client.get(reverse("admin:explainers_article_add")))
    assert page.select_one("#id_headline")["data-search-length"] == "60"
    assert page.select_one("#id_dek")["data-search-length"] == "160"
    assert page.select_one('script[src$="admin/newsroom-article.js"]')


def test_questions_and_quotes_are_ordered_by_dragging_with_no_position_box_to_type(editor_client):
    article = make_article(status=Article.Status.DRAFT)
    page = html(editor_client.get(reverse("admin:explainers_article_change", args=[article.pk])))
    for prefix in ("sections", "quotes"):
        group = page.select_one(f"#{prefix}-group fieldset")
        assert "sortable" in group["class"], prefix
        position = page.select_one(f'input[name="{prefix}-0-position"]')
        assert position["type"] == "hidden", prefix


def test_a_reporter_gets_tag_suggestions_from_the_admin(reporter_client):
    make_article(slug="tagged").tags.add("Belarus", "Russia", "Ukraine")
    page = html(reporter_client.get(reverse("admin:explainers_article_add")))
    suggest = page.select_one("#id_tags")["data-suggest-url"]

    response = reporter_client.get(f"{suggest}&term=bel")
    assert response.status_code == 200
    assert [tag["text"] for tag in response.json()["results"]] == ["Belarus"]


def test_a_quote_without_a_question_reads_as_the_lead(editor_client):
    article = make_article(status=Article.Status.DRAFT)
    page = html(editor_client.get(reverse("admin:explainers_article_change", args=[article.pk])))
    empty = page.select_one('select[name="quotes-0-section"] option[value=""]')
    assert empty.text == "The lead"


# The desk on the admin's home page.


def desk(client):
    page = html(client.get(reverse("admin:index")))
    return {
        table.caption.text: [a.text for a in table.select("tbody th a")]
        for table in page.select(".newsroom-desk table")
    }, page


def test_the_desk_shows_review_scheduled_and_published_each_one_click_from_its_page(
    editor_client,
):
    now = timezone.now()
    waiting = make_article(slug="waiting", headline="Waiting", status=Article.Status.REVIEW)
    later = make_article(
        slug="later",
        headline="Going out tomorrow",
        published_at=now + datetime.timedelta(days=1),
    )
    out = make_article(slug="out", headline="Out yesterday")
    make_article(slug="draft", headline="Someone's draft", status=Article.Status.DRAFT)

    shelves, page = desk(editor_client)
    assert shelves["In review"] == ["Waiting"]
    assert shelves["Scheduled"] == ["Going out tomorrow"]
    assert shelves["Latest published"] == ["Out yesterday"]
    assert shelves["Your drafts"] == []
    for article in (waiting, later, out):
        link = page.find("a", string=article.headline)
        assert link["href"] == reverse("admin:explainers_article_change", args=[article.pk])
    scheduled_row = page.find("a", string="Going out tomorrow").find_parent("tr")
    when = timezone.localtime(later.published_at)
    assert scheduled_row.time["datetime"] == when.isoformat()
    assert when.strftime("%H:%M") in scheduled_row.time.text
    assert "James Beardsworth" in scheduled_row.text


def test_a_reporter_sees_only_their_own_work_on_the_desk(reporter_client, reporter, other_reporter):
    make_article(slug="mine", headline="My draft", status="draft", created_by=reporter)
    make_article(slug="sent", headline="My submission", status="review", created_by=reporter)
    make_article(slug="theirs", headline="Their draft", status="draft", created_by=other_reporter)
    make_article(slug="theirs-2", headline="Their submission", status="review")

    shelves, _ = desk(reporter_client)
    assert shelves["Your drafts"] == ["My draft"]
    assert shelves["In review"] == ["My submission"]


def test_staff_without_articles_get_no_desk(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="pw-clerk-1", is_staff=True)
    client.force_login(user)
    shelves, page = desk(client)
    assert shelves == {} and not page.select(".newsroom-desk")
