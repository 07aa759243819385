"""
Writing an article from scratch in the admin: quotes and corrections placed in questions typed on
the same page before the first save, the read-only page of an article sent for review, the
writer's own byline, and who submitted what on the desk. The browser test at the end does the
same as a reporter would.
"""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from explainers import workflow
from explainers.models import Article, Author, Byline, QuestionSection
from tests.conftest import make_article
from tests.test_admin import ADD_URL, change_url, errors, form_data
from tests.test_browser import ARTIFACTS, browser, page, sign_in, watch_for_errors  # noqa: F401

pytestmark = pytest.mark.django_db

PREVIEW_NEW_URL = reverse("admin:explainers_article_preview_new")


def html(response):
    return BeautifulSoup(response.content, "html.parser")


def new_article(client, **fields):
    """The add page's form, filled with a headline, two typed questions and one quote."""
    data = form_data(client.get(ADD_URL))
    data.update(
        {
            "headline": "What is the Union State?",
            "slug": "what-is-the-union-state",
            "lead": "<p>The lead.</p>",
            "status": "draft",
            "sections-TOTAL_FORMS": "2",
            "sections-0-question": "What does the treaty say?",
            "sections-0-answer": "<p>A joint unit.</p>",
            "sections-1-question": "Who pays for it?",
            "sections-1-answer": "<p>Both states.</p>",
            "quotes-TOTAL_FORMS": "1",
            "quotes-0-text": "The tasks are purely defensive.",
            "quotes-0-section": "new-sections-1",
        }
    )
    for n in (0, 1):
        data.setdefault(f"sections-{n}-position", "0")
    data.update(fields)
    return data


# Quotes and notes in questions not saved yet.


def test_a_quote_and_a_correction_go_into_questions_typed_on_the_add_page(reporter_client):
    data = new_article(
        reporter_client,
        **{
            "notes-TOTAL_FORMS": "1",
            "notes-0-kind": "correction",
            "notes-0-text": "An earlier version misnamed the treaty.",
            "notes-0-section": "new-sections-0",
            "notes-0-noted_at_0": "2026-01-02",
            "notes-0-noted_at_1": "10:00:00",
        },
    )
    response = reporter_client.post(ADD_URL, data, follow=True)
    assert errors(response) == []
    article = Article.objects.get()
    quote, note = article.quotes.get(), article.notes.get()
    assert quote.section.question == "Who pays for it?"
    assert note.section.question == "What does the treaty say?"


def test_a_question_added_to_a_saved_article_takes_a_quote_in_the_same_save(editor_client):
    article = make_article(sections=1, quotes_per_section=0, status="draft")
    data = form_data(editor_client.get(change_url(article)))
    data.update(
        {
            "sections-TOTAL_FORMS": "2",
            "sections-1-question": "What happens next?",
            "sections-1-answer": "<p>Exercises.</p>",
            "sections-1-position": "0",
            "quotes-TOTAL_FORMS": "1",
            "quotes-0-text": "We are ready.",
            "quotes-0-section": "new-sections-1",
        }
    )
    response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    assert article.quotes.get().section == article.sections.get(question="What happens next?")


def test_a_new_question_posted_with_an_empty_position_goes_to_the_end(editor_client):
    """Browsers post "0"; a forged form may post nothing, which is a place like 0, not a 500."""
    article = make_article(sections=2, quotes_per_section=0, status="draft")
    data = form_data(editor_client.get(change_url(article)))
    data.update(
        {
            "sections-TOTAL_FORMS": "3",
            "sections-2-question": "What happens next?",
            "sections-2-answer": "<p>Exercises.</p>",
            "sections-2-position": "",
        }
    )
    response = editor_client.post(change_url(article), data, follow=True)
    assert response.status_code == 200
    assert errors(response) == []
    questions = list(article.sections.values_list("question", flat=True))
    assert len(questions) == 3 and questions[-1] == "What happens next?"


@pytest.mark.parametrize(
    "reference, fields",
    [
        ("new-sections-1", {"sections-1-question": "", "sections-1-answer": ""}),  # left empty
        ("new-sections-5", {}),  # no such form
        ("new-removed", {}),  # the page's script: the question was removed
    ],
)
def test_a_quote_naming_a_question_no_longer_on_the_page_is_refused_with_a_message(
    reporter_client, reference, fields
):
    data = new_article(reporter_client, **{"quotes-0-section": reference, **fields})
    response = reporter_client.post(ADD_URL, data)
    assert response.status_code == 200
    assert errors(response) == [
        "The new question chosen here is no longer on the page (it was removed, or its question "
        "left empty): choose another question."
    ]
    assert not Article.objects.exists()


def test_a_quote_cannot_name_a_saved_question_as_a_new_one(editor_client):
    article = make_article(sections=1, quotes_per_section=0, status="draft")
    data = form_data(editor_client.get(change_url(article)))
    data.update(
        {"quotes-TOTAL_FORMS": "1", "quotes-0-text": "Words.", "quotes-0-section": "new-sections-0"}
    )
    response = editor_client.post(change_url(article), data)
    assert "no longer on the page" in " ".join(errors(response))
    assert not article.quotes.exists()


def test_a_form_sent_back_with_errors_keeps_the_new_question_chosen(reporter_client):
    data = new_article(reporter_client, headline="")  # the headline is required
    doc = html(reporter_client.post(ADD_URL, data))
    select = doc.select_one('select[name="quotes-0-section"]')
    # The page's script offers the typed question again and selects it.
    assert select["data-new-section"] == "new-sections-1"


def test_the_preview_places_the_quote_in_the_question_typed_on_the_page(reporter_client):
    response = reporter_client.post(PREVIEW_NEW_URL, new_article(reporter_client))
    assert response.status_code == 200
    doc = html(response)
    sections = doc.select("section.question")
    assert [s.h2.text.strip() for s in sections] == [
        "What does the treaty say?",
        "Who pays for it?",
    ]
    assert "purely defensive" in sections[1].text
    assert "purely defensive" not in sections[0].text
    assert not Article.objects.exists() and not QuestionSection.objects.exists()


# The read-only page of an article sent for review.


def test_a_reporter_reads_her_submitted_article_formatted_with_no_form_controls(
    reporter_client, reporter
):
    article = make_article(
        sections=2,
        status="review",
        created_by=reporter,
        lead="<p>The <strong>bold</strong> lead.</p>",
    )
    response = reporter_client.get(change_url(article))
    assert response.status_code == 200
    doc = html(response)
    lead = doc.select_one(".field-formatted_lead .readonly")
    assert lead.select_one("p strong").text == "bold"
    assert "<p>" not in lead.text
    answers = doc.select(".field-formatted_answer .readonly")
    assert [a.select_one("p").text for a in answers] == ["Answer 1.", "Answer 2."]
    questions = doc.select_one("#sections-group").text
    assert "Mark" not in questions and "Updated at" not in questions
    assert "Seen version" not in doc.text
    assert not doc.select("input._reorder_")  # nothing for the Move up/down buttons to move


def test_the_read_only_page_shows_when_an_answer_was_marked_updated(reporter_client, reporter):
    article = make_article(sections=2, status="review", created_by=reporter)
    when = timezone.now() - datetime.timedelta(hours=3)
    article.sections.filter(position=2).update(revised_at=when)
    doc = html(reporter_client.get(change_url(article)))
    rows = doc.select(".field-answer_updated .readonly")
    assert [r.text.strip() != "" for r in rows] == [False, True]  # the empty one is hidden
    assert str(timezone.localtime(when).year) in rows[1].text


def test_a_new_article_offers_no_mark_as_updated_but_a_saved_one_does(editor_client):
    assert "Mark as updated now" not in html(editor_client.get(ADD_URL)).text
    article = make_article(sections=1)
    assert "Mark as updated now" in html(editor_client.get(change_url(article))).text


# The writer's own byline.


def test_a_reporter_saving_a_new_article_with_no_byline_is_put_on_it(reporter_client, reporter):
    response = reporter_client.post(ADD_URL, new_article(reporter_client), follow=True)
    assert errors(response) == []
    article = Article.objects.get()
    profile = Author.objects.get(user=reporter)
    assert (profile.name, profile.slug) == ("Rita Porter", "rita-porter")
    assert list(article.authors.all()) == [profile]

    # Her next article uses the same profile.
    data = new_article(reporter_client, headline="Second", slug="second")
    reporter_client.post(ADD_URL, data)
    assert list(Article.objects.get(slug="second").authors.all()) == [profile]
    assert Author.objects.filter(user=reporter).count() == 1


def test_a_writer_profile_takes_a_slug_no_other_author_has(reporter):
    Author.objects.create(name="Rita Porter", slug="rita-porter")
    profile = workflow.author_profile(reporter)
    assert profile.slug == "rita-porter-2" and profile.user == reporter


def test_a_byline_chosen_by_the_writer_is_kept_and_an_editor_is_not_added(editor_client, editor):
    guest = Author.objects.create(name="A Guest", slug="a-guest")
    data = new_article(editor_client, **{"bylines-0-author": str(guest.pk)})
    editor_client.post(ADD_URL, data)
    assert list(Article.objects.get().authors.all()) == [guest]

    # An editor fixing a reporter's article with no byline does not sign it.
    article = make_article(slug="theirs", status="draft")
    Byline.objects.filter(article=article).delete()
    data = form_data(editor_client.get(change_url(article)))
    editor_client.post(change_url(article), data)
    assert not article.bylines.exists()
    assert not Author.objects.filter(user=editor).exists()


def test_who_may_add_which_author(reporter, other_reporter, admin_user, django_user_model):
    assert workflow.may_add_author(reporter, for_user=reporter)
    assert not workflow.may_add_author(reporter)
    assert not workflow.may_add_author(reporter, for_user=other_reporter)
    assert workflow.may_add_author(admin_user)
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)  # writes nothing
    assert not workflow.may_add_author(clerk, for_user=clerk)
    assert workflow.author_profile(clerk) is None


def test_the_byline_autocomplete_offers_the_reporters_own_profile(reporter_client, reporter):
    profile = workflow.author_profile(reporter)
    response = reporter_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "explainers",
            "model_name": "byline",
            "field_name": "author",
            "term": "Rita",
        },
    )
    assert [r["id"] for r in response.json()["results"]] == [str(profile.pk)]


# The desk: who submitted each piece in review.


def desk_rows(client):
    doc = html(client.get(reverse("admin:index")))
    table = next(t for t in doc.select(".newsroom-desk table") if t.caption.text == "In review")
    heads = [th.text for th in table.select("thead th")]
    return heads, {
        row.th.text: row.select("td")[heads.index("Submitted by") - 1].text
        for row in table.select("tbody tr")
    }


def test_the_desk_shows_who_submitted_each_article_in_review(
    client, editor, reporter, other_reporter, django_assert_max_num_queries
):
    mine = make_article(slug="mine", headline="Mine", status="draft", created_by=editor)
    Byline.objects.filter(article=mine).update(author=workflow.author_profile(reporter))
    workflow.submit(reporter, Article.objects.get(pk=mine.pk))  # bylined, created by the editor
    # The editor's later fix does not make the editor its submitter.
    workflow.record(editor, Article.objects.get(pk=mine.pk), "Fixed a typo.")
    theirs = make_article(
        slug="theirs", headline="Theirs", status="draft", created_by=other_reporter
    )
    workflow.submit(other_reporter, theirs)
    make_article(slug="old", headline="No history", status="review", created_by=reporter)

    client.force_login(editor)
    heads, rows = desk_rows(client)
    assert "Submitted by" in heads
    assert rows == {"Mine": "Rita Porter", "Theirs": "other", "No history": "Rita Porter"}

    # No query per article: a fourth one costs nothing more.
    with django_assert_max_num_queries(100) as counted:
        desk_rows(client)
    before = len(counted.captured_queries)
    extra = make_article(slug="more", headline="More", status="draft", created_by=reporter)
    workflow.submit(reporter, extra)
    with django_assert_max_num_queries(before) as counted:
        desk_rows(client)


# In a browser, as a reporter would.


def test_a_reporter_writes_a_new_article_reads_it_after_submitting_and_sees_it_on_the_desk(
    transactional_db,
    live_server,
    reporter,
    page,  # noqa: F811
):
    site = live_server.url
    problems, blocked = watch_for_errors(page)
    sign_in(page, site, reporter)
    page.goto(site + ADD_URL)
    page.get_by_label("Headline").fill("What is the Union State?")

    # Three questions typed, none saved; a quote placed in the third.
    add_question = page.locator("#sections-group .add-row a")
    page.locator("input[name='sections-0-question']").fill("A first try?")
    add_question.click()
    page.locator("input[name='sections-1-question']").fill("What does the treaty say?")
    add_question.click()
    page.locator("input[name='sections-2-question']").fill("Who pays for it?")
    page.locator("#quotes-group .add-row a").click()
    page.locator("textarea[name='quotes-0-text']").fill("The tasks are purely defensive.")
    section = page.locator("select[name='quotes-0-section']")
    assert section.locator("option").all_inner_texts() == [
        "The lead",
        "A first try? (new)",
        "What does the treaty say? (new)",
        "Who pays for it? (new)",
    ]
    section.select_option(label="Who pays for it? (new)")
    # The first question is removed: Django renumbers the rows, and the choice follows its own.
    page.locator("#sections-0 .inline-deletelink").click()
    assert section.locator("option:checked").inner_text() == "Who pays for it? (new)"
    assert section.input_value() == "new-sections-1"
    # Typing on in the question renames the choice and keeps it.
    page.locator("input[name='sections-1-question']").fill("Who pays for the joint unit?")
    assert section.locator("option:checked").inner_text() == "Who pays for the joint unit? (new)"

    # A third question is chosen, then removed: the list says so rather than falling back to
    # the lead unnoticed; the second is chosen again.
    page.locator("#sections-group .add-row a").click()
    page.locator("input[name='sections-2-question']").fill("A spare question?")
    section.select_option(label="A spare question? (new)")
    page.locator("#sections-2 .inline-deletelink").click()
    assert section.locator("option:checked").inner_text() == "A new question, since removed"
    section.select_option(label="Who pays for the joint unit? (new)")

    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/change/")
    article = Article.objects.get()
    assert article.quotes.get().section.question == "Who pays for the joint unit?"
    # Nobody was on the byline: the reporter is, with her own author profile.
    assert [a.name for a in article.authors.all()] == ["Rita Porter"]
    assert page.locator("#select2-id_bylines-0-author-container").inner_text() == "Rita Porter"

    # She sends it for review; it is the editors' now, and hers to read.
    page.get_by_label("Status").select_option("review")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/change/")
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEW
    article.lead = "<p>The <strong>bold</strong> lead.</p>"
    article.save()
    article.sections.filter(position=2).update(answer="<p>Both <em>states</em>.</p>")
    page.reload()
    assert page.locator(".field-formatted_lead .readonly strong").inner_text() == "bold"
    assert "<p>" not in page.locator(".field-formatted_lead").inner_text()
    answer = page.locator(".field-formatted_answer .readonly").nth(1)
    assert answer.locator("em").inner_text() == "states"
    assert page.get_by_role("button", name="Move up").count() == 0
    assert page.get_by_role("button", name="Move down").count() == 0
    questions = page.locator("#sections-group")
    assert "Mark" not in questions.inner_text() and "Updated at" not in questions.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "authoring-read-only.png"), full_page=True)

    # The desk says who submitted it.
    page.goto(site + "/admin/")
    row = page.locator(".newsroom-desk tr", has_text="What is the Union State?")
    assert "Rita Porter" in row.locator("td").nth(1).inner_text()
    page.locator(".newsroom-desk").screenshot(path=str(ARTIFACTS / "authoring-desk.png"))
    assert problems == [] and blocked == []
