"""Two editors in two browsers save the same article: the second is told what the first changed,
and saving again keeps both changes (explainers.merge)."""

import pytest
import reversion
from django.urls import reverse

from explainers.models import Article
from tests import test_browser
from tests.conftest import make_article, staff
from tests.test_browser import ARTIFACTS, save_and_continue, sign_in, watch_for_errors

browser = test_browser.browser  # the headless Chromium fixture, one per module


@pytest.fixture
def colleague(editor):
    return staff(type(editor), "colleague", "Editor", first_name="Col", last_name="League")


@pytest.fixture
def two_pages(browser):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 1400}) for _ in range(2)]
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()


def test_two_editors_change_the_summary_and_an_answer_and_both_are_kept(
    transactional_db, live_server, editor, colleague, two_pages
):
    site = live_server.url
    with reversion.create_revision():
        article = make_article(sections=2)
    url = site + reverse("admin:explainers_article_change", args=[article.pk])
    mine, theirs = two_pages
    problems, _ = watch_for_errors(mine)
    for page, user in ((mine, editor), (theirs, colleague)):
        sign_in(page, site, user)
        page.goto(url)

    # The colleague changes the summary and saves.
    theirs.get_by_label("Summary").fill("Their new summary.")
    save_and_continue(theirs)

    # This editor, who had the page open, adds to the first answer and saves: refused.
    answer = mine.locator("#sections-0 .field-answer .ProseMirror")
    answer.focus()
    mine.keyboard.press("Control+End")
    mine.keyboard.type(" My added sentence.")
    mine.get_by_role("button", name="Save and continue editing").click()
    refusal = mine.locator(".errorlist li", has_text="saved this article at")
    refusal.wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    mine.screenshot(path=ARTIFACTS / "merge-refused.png", full_page=False)
    assert refusal.inner_text().startswith("Col League saved this article at ")
    assert "They changed: Summary." in refusal.inner_text()
    # The form now holds the colleague's summary, and this editor's answer.
    assert mine.get_by_label("Summary").input_value() == "Their new summary."
    assert "My added sentence." in answer.inner_text()
    assert Article.objects.get().dek == "Their new summary."

    # Saving again keeps both.
    save_and_continue(mine)
    article.refresh_from_db()
    assert article.dek == "Their new summary."
    assert "My added sentence." in article.sections.order_by("position")[0].answer
    assert mine.get_by_label("Summary").input_value() == "Their new summary."
    assert "My added sentence." in answer.inner_text()
    assert problems == []


def test_a_headline_both_changed_is_marked_and_saving_again_keeps_mine(
    transactional_db, live_server, editor, colleague, two_pages
):
    site = live_server.url
    with reversion.create_revision():
        article = make_article(sections=1)
    url = site + reverse("admin:explainers_article_change", args=[article.pk])
    mine, theirs = two_pages
    for page, user in ((mine, editor), (theirs, colleague)):
        sign_in(page, site, user)
        page.goto(url)
    theirs.get_by_label("Headline").fill("Their headline")
    save_and_continue(theirs)

    mine.get_by_label("Headline").fill("My headline")
    mine.get_by_role("button", name="Save and continue editing").click()
    marked = mine.locator(".field-headline .errorlist li")
    marked.wait_for()
    mine.screenshot(path=ARTIFACTS / "merge-conflict.png", full_page=False)
    assert "Col League changed this to “Their headline”" in marked.inner_text()
    assert mine.get_by_label("Headline").input_value() == "My headline"

    save_and_continue(mine)
    assert Article.objects.get().headline == "My headline"
