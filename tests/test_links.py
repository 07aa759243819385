"""
Links in leads and answers: an address typed without a scheme becomes an https:// one, anything
but a web or e-mail address (or a question's anchor) is refused on its field with the address
named, and the publish checklist names a bad address that reached the database another way.
Typed spaces are stored as ordinary spaces.
"""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse

from explainers.importer import parse_explainer, save_explainer
from explainers.models import Article, QuestionSection
from explainers.richtext import link_address, sanitize_html, validate_links
from tests.conftest import make_article
from tests.test_admin import errors, form_data

# The browser fixtures, imported so pytest finds them here.
from tests.test_browser import browser, page, save_and_continue, select_first_word, sign_in  # noqa: F401
from tests.test_importer import SMALL

REFUSED = [
    "/relative",
    "page/2",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "ftp://example.org/file",
    "data:text/html,x",
    "bare words with spaces",
    "https://",
    "http:example.org",
    "https://example.org/a page",
    "mailto:",
    "localhost:8000",
]


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("www.example.org/page", "https://www.example.org/page"),
        ("example.org", "https://example.org"),
        ("  example.org/a?b=1#c ", "https://example.org/a?b=1#c"),
        ("//example.org/x", "https://example.org/x"),
        ("http://example.org", "http://example.org"),
        ("https://example.org/p", "https://example.org/p"),
        ("mailto:desk@example.org", "mailto:desk@example.org"),
        ("#why-now", "#why-now"),
        ("/relative", "/relative"),
    ],
)
def test_an_address_without_a_scheme_gets_https(typed, stored):
    assert link_address(typed) == stored


def test_sanitising_stores_the_https_address():
    assert sanitize_html('<p><a href="www.example.org/page">page</a></p>') == (
        '<p><a href="https://www.example.org/page">page</a></p>'
    )


@pytest.mark.parametrize("address", REFUSED)
def test_anything_but_a_web_or_e_mail_address_is_refused_with_the_address_named(address):
    with pytest.raises(ValidationError) as refused:
        validate_links(f'<p>See <a href="{address}">the page</a>.</p>')
    (message,) = refused.value.messages
    assert f"“{address.strip()}”" in message
    assert "The link “the page”" in message


@pytest.mark.parametrize(
    "address",
    ["www.example.org/page", "https://example.org", "mailto:a@example.org", "#why-now", "#", ""],
)
def test_web_and_e_mail_addresses_anchors_and_placeholders_are_accepted(address):
    validate_links(f'<p>See <a href="{address}">the page</a>.</p>')


def test_typed_non_breaking_spaces_are_stored_as_one_ordinary_space():
    typed = "<p>Two&nbsp; spaces,\xa0\xa0three\xa0 \xa0and a trailing one&nbsp;</p><p>&nbsp;</p>"
    assert sanitize_html(typed) == "<p>Two spaces, three and a trailing one</p><p></p>"
    assert sanitize_html("Plain  text\xa0typed") == "<p>Plain text typed</p>"


# The admin: what a reporter saves.


def change_url(article):
    return reverse("admin:explainers_article_change", args=[article.pk])


@pytest.fixture
def draft(reporter):
    return make_article(status=Article.Status.DRAFT, created_by=reporter, sections=1)


def field_errors(response, selector):
    html = BeautifulSoup(response.content, "html.parser")
    return [li.text for li in html.select(f"{selector} .errorlist li")]


def test_a_reporter_saves_a_link_typed_without_a_scheme_as_https(reporter_client, draft):
    data = form_data(reporter_client.get(change_url(draft)))
    data["lead"] = '<p>Read <a href="www.example.org/page">the page</a>.</p>'
    data["sections-0-answer"] = '<p>Mail <a href="example.org/desk">the desk</a>.</p>'
    response = reporter_client.post(change_url(draft), {**data, "_continue": "1"})
    assert response.status_code == 302, errors(response)
    draft.refresh_from_db()
    assert '<a href="https://www.example.org/page">the page</a>' in draft.lead
    assert '<a href="https://example.org/desk">the desk</a>' in draft.sections.get().answer


@pytest.mark.parametrize("address", ["javascript:x", "/relative"])
def test_a_bad_link_in_the_lead_is_refused_on_the_lead_and_nothing_saved(
    reporter_client, draft, address
):
    data = form_data(reporter_client.get(change_url(draft)))
    data["headline"] = "A new headline"
    data["lead"] = f'<p>Read <a href="{address}">the page</a>.</p>'
    response = reporter_client.post(change_url(draft), data)
    assert response.status_code == 200
    (message,) = field_errors(response, ".field-lead")
    assert f"The link “the page” goes to “{address}”, which is not a web address" in message
    draft.refresh_from_db()
    assert draft.headline != "A new headline" and draft.lead == "<p>The lead paragraph.</p>"


@pytest.mark.parametrize("address", ["javascript:x", "/relative"])
def test_a_bad_link_in_an_answer_is_refused_on_that_answer_and_nothing_saved(
    reporter_client, draft, address
):
    data = form_data(reporter_client.get(change_url(draft)))
    data["headline"] = "A new headline"
    data["sections-0-answer"] = f'<p>Read <a href="{address}">the report</a>.</p>'
    response = reporter_client.post(change_url(draft), data)
    assert response.status_code == 200
    (message,) = field_errors(response, "#sections-0 .field-answer")
    assert f"The link “the report” goes to “{address}”" in message
    assert field_errors(response, ".field-lead") == []
    draft.refresh_from_db()
    assert draft.headline != "A new headline"
    assert draft.sections.get().answer == "<p>Answer 1.</p>"


# The checklist: bad addresses that reached the database without the admin's forms.


def checklist_links(client, article):
    html = BeautifulSoup(client.get(change_url(article)).content, "html.parser")
    item = next(
        li
        for li in html.select(".newsroom-checklist li")
        if "Links, each with an address" in li.text
    )
    return item, [li.text for li in item.select("li")]


def test_the_checklist_names_a_bad_address_saved_through_the_orm(reporter_client, draft):
    section = draft.sections.get()
    section.answer = '<p>See <a href="/relative">the page</a> and <a href="#nowhere">this</a>.</p>'
    section.save()
    draft.lead = '<p>A <a href="javascript:alert(1)">trick</a>.</p>'
    draft.save()
    assert 'href="/relative"' in QuestionSection.objects.get().answer
    item, problems = checklist_links(reporter_client, draft)
    assert item["class"] == ["check-missing"]
    assert problems == [
        "The lead links “trick” to no address yet.",
        "Question 1 links “the page” to “/relative”, which is not a web address.",
        "Question 1 links “this” to “#nowhere”, which is no question of this explainer.",
    ]


def test_a_link_to_another_question_of_the_explainer_is_done(reporter_client, draft):
    anchor = draft.sections.get().anchor
    draft.lead = (
        f'<p>See <a href="#{anchor}">below</a>, or <a href="www.example.org">there</a>.</p>'
    )
    draft.save()
    item, problems = checklist_links(reporter_client, draft)
    assert problems == [] and item["class"] == ["check-done"]


def test_the_importer_names_a_bad_address_and_saves_its_words_without_the_link(reporter):
    # The importer applies the rich-text field's rules (see test_importer for the messages):
    # what the admin would refuse is reported with its line, and only the words are saved.
    text = SMALL.replace("A treaty signed", "A [treaty](https:example) signed")
    result = save_explainer(parse_explainer(text), user=reporter)
    removed = [note for note in result.report if note.kind == "removed"]
    assert len(removed) == 1 and "“https:example”, which is not a web address" in str(removed[0])
    answer = result.article.sections.order_by("position").first().answer
    assert "A treaty signed" in answer and "https:example" not in answer


# The editor, in a browser.


def test_a_reporter_links_a_word_to_an_address_typed_without_a_scheme(
    transactional_db,
    live_server,
    reporter,
    page,  # noqa: F811
):
    site = live_server.url
    article = make_article(status=Article.Status.DRAFT, created_by=reporter, sections=1)
    sign_in(page, site, reporter)
    page.goto(site + change_url(article))

    editor = page.locator("#sections-0 .prose-editor")
    select_first_word(page, editor.locator(".ProseMirror"), "Answer")
    editor.get_by_role("button", name="insert link").click()
    dialog = page.get_by_role("dialog")
    address = dialog.get_by_label("URL")

    # A relative address is refused in the dialog, with the address named.
    address.fill("/relative")
    dialog.get_by_role("button", name="Update").click()
    problem = dialog.locator(".newsroom-link-problem")
    assert "“/relative” is not a web address" in problem.inner_text()
    page.screenshot(path="test-artifacts/link-dialog-refused.png")

    address.fill("www.example.org/page")
    assert problem.inner_text() == ""
    dialog.get_by_role("button", name="Update").click()
    link = editor.locator(".ProseMirror a")
    assert link.get_attribute("href") == "https://www.example.org/page"
    assert link.inner_text() == "Answer"

    save_and_continue(page)
    answer = article.sections.get().answer
    assert '<a href="https://www.example.org/page">Answer</a>' in answer
