"""
A story from first words to correction, in a real browser: a reporter writes an explainer from
scratch in the admin and submits it; an editor reviews it, fixes a typo, publishes it, adds a
correction, compares two revisions and restores one; a reader reads it. Each step asserts what
the person doing it sees. Fixtures and helpers are those of tests/test_browser.py.
"""

import re

from explainers.models import Article, Source
from tests.conftest import jpeg_upload
from tests.test_browser import (
    ARTIFACTS,
    browser,
    page,
    select_first_word,
    sign_in,
    watch_for_errors,
)

__all__ = ["browser", "page"]  # fixtures, imported for pytest

LEAD = "Belarus and Russia will hold joint exercises this autumn."
QUESTIONS = [
    ("What is the Union State?", "A treaty from 1999 joining the two countries."),
    ("How many troops will be assembled?", "About 13,000 soldiers, the ministry recieved word."),
    ("Where will they go?", "To ranges near the border."),
]


def choose(page, select_id, text):
    """Pick `text` in one of the admin's autocomplete (select2) fields, as a person does:
    open it, type, and click the suggestion."""
    container = page.locator(f"#{select_id} + .select2")
    container.locator(".select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()
    page.wait_for_function(
        "([id, text]) => [...document.getElementById(id).selectedOptions]"
        ".some(o => o.textContent.includes(text))",
        arg=[select_id, text],
    )


def type_into(page, editor, text):
    """Type into a rich-text field, waiting for the editor to hold the words."""
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)
    page.wait_for_function(
        "([el, text]) => el.innerText.includes(text)", arg=[editor.element_handle(), text]
    )


def add_in_popup(page, link, fields, button="Save"):
    """Click a "+" next to a field, fill the pop-up's form and save it; the pop-up closes."""
    with page.expect_popup() as opened:
        link.click()
    popup = opened.value
    for label, value in fields.items():
        if isinstance(value, dict):  # a file
            popup.get_by_label(label).set_input_files(value)
        else:
            popup.get_by_label(re.compile(f"^{label}:?$")).fill(value)
    with popup.expect_event("close"):
        popup.get_by_role("button", name=button, exact=True).click()


def double_click_word(page, editor, word):
    """Double-click a word in a rich-text field, where it is on the screen, and wait for the
    browser to select it. On a loaded machine the page may still be moving (widgets set up late
    shift the layout) between finding the word and the click, so the word is found and
    double-clicked again until it is the selection."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(5):
        box = editor.evaluate(
            """(editor, word) => {
                const walker = document.createTreeWalker(editor, NodeFilter.SHOW_TEXT);
                while (walker.nextNode()) {
                    const at = walker.currentNode.data.indexOf(word);
                    if (at < 0) continue;
                    const range = document.createRange();
                    range.setStart(walker.currentNode, at);
                    range.setEnd(walker.currentNode, at + word.length);
                    walker.currentNode.parentElement.scrollIntoView({block: "center"});
                    const {x, y, width, height} = range.getBoundingClientRect();
                    return {x, y, width, height};
                }
            }""",
            word,
        )
        page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            page.wait_for_function(
                "word => window.getSelection().toString().trim() === word", arg=word, timeout=3000
            )
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"double-clicking never selected “{word}”")


def message(page):
    return page.locator("ul.messagelist").inner_text()


def test_a_reporter_writes_an_explainer_and_an_editor_publishes_and_corrects_it(
    transactional_db, live_server, reporter, editor, browser
):
    site = live_server.url
    Source.objects.create(name="BelTA", kind=Source.Kind.AGENCY, url="https://belta.by/")

    # The reporter writes from scratch.
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    problems, blocked = watch_for_errors(page)
    sign_in(page, site, reporter)
    page.get_by_role("link", name="Articles").first.click()
    page.get_by_role("link", name="Add article").click()
    page.get_by_label("Headline").fill("What the joint exercises mean")
    page.get_by_label("Summary").fill("Belarus and Russia, side by side, explained.")
    lead = page.locator(".field-lead .ProseMirror")
    type_into(page, lead, LEAD)

    # A link typed without https:// in the editor's link dialog.
    select_first_word(page, lead, "Belarus")
    page.locator(".field-lead").get_by_role("button", name="insert link").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("input").first.fill("www.example.org/belarus")
    dialog.get_by_role("button", name=re.compile("ok|update|insert|save", re.I)).first.click()
    assert lead.locator("a").first.inner_text() == "Belarus"

    page.get_by_label("Tags").fill("Belarus")

    # Three questions: the first is already on the page, two more are added.
    sections = page.locator("#sections-group .inline-related:not(.empty-form)")
    for n, (question, answer) in enumerate(QUESTIONS):
        if n:
            page.locator("#sections-group .add-row a").click()
        row = sections.nth(n)
        row.get_by_label("Question").fill(question)
        type_into(page, row.locator(".ProseMirror"), answer)
    choose(page, "id_sections-0-sources", "BelTA")

    # A hero photo, uploaded in the pop-up next to the field.
    add_in_popup(
        page,
        page.get_by_title("Add another photo"),
        {
            "Image": {
                "name": "troops.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_upload(size=(1600, 900)).read(),
            },
            "Title": "Troops on exercise",
            "Alt text": "Soldiers walking through a field",
            "Credit": "Reuters",
        },
    )
    assert "Troops on exercise" in page.locator("#id_hero_photo + .select2").inner_text()

    # Two quotes, each by a speaker added in the pop-up, each placed in a question typed above.
    quotes = page.locator("#quotes-group .inline-related:not(.empty-form)")
    for n, (speaker, words, question) in enumerate(
        [
            ("Viktor Khrenin", "The exercises are defensive.", QUESTIONS[1][0]),
            ("Pavel Muzyka", "Numbers matter less than readiness.", QUESTIONS[2][0]),
        ]
    ):
        page.locator("#quotes-group .add-row a").click()
        quote = quotes.nth(n)
        quote.get_by_label("Text:", exact=True).fill(words)
        add_in_popup(page, quote.get_by_title("Add another speaker"), {"Name": speaker})
        assert speaker in quote.locator("select[name$='-speaker'] option:checked").inner_text()
        quote.locator("select[name$='-section']").select_option(label=f"{question} (new)")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "story-reporter-writes.png", full_page=True)

    # The preview shows what readers would get, before anything is saved.
    with context.expect_page() as opened:
        page.get_by_role("button", name="Preview changes").click()
    preview = opened.value
    preview.wait_for_load_state()
    assert preview.locator("h1").inner_text() == "What the joint exercises mean"
    assert preview.locator("section.question h2").all_inner_texts() == [q for q, _ in QUESTIONS]
    assert "The exercises are defensive." in preview.locator("section.question").nth(1).inner_text()
    assert preview.locator("article a[href='https://www.example.org/belarus']").count() == 1
    preview.close()
    assert not Article.objects.exists()

    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/change/")
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    assert 'href="https://www.example.org/belarus"' in article.lead
    assert list(article.sections.values_list("question", flat=True)) == [q for q, _ in QUESTIONS]
    assert [(q.section.question, q.speaker.name) for q in article.quotes.order_by("position")] == [
        (QUESTIONS[1][0], "Viktor Khrenin"),
        (QUESTIONS[2][0], "Pavel Muzyka"),
    ]
    assert [t.name for t in article.tags.all()] == ["Belarus"]
    assert article.hero_photo.credit == "Reuters"
    assert [a.name for a in article.authors.all()] == ["Rita Porter"]

    # She submits it for review.
    page.get_by_label("Status").select_option(label="In review")
    page.get_by_role("button", name="Save", exact=True).click()
    assert "for review" in message(page)
    context.close()
    assert problems == [] and blocked == []

    # The editor finds it on the desk, with who submitted it.
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    problems, blocked = watch_for_errors(page)
    sign_in(page, site, editor)
    desk = page.locator(".newsroom-desk")
    assert "Rita Porter" in desk.inner_text()
    page.screenshot(path=ARTIFACTS / "story-editor-desk.png")
    desk.get_by_role("link", name="What the joint exercises mean").click()
    page.wait_for_url("**/change/")

    # Fixes the typo, publishes now.
    answer = page.locator("#sections-1 .ProseMirror")
    double_click_word(page, answer, "recieved")
    page.keyboard.type("received")
    page.get_by_label("Status").select_option(label="Published")
    page.locator(".field-published_at").get_by_role("link", name="Today").click()
    page.locator(".field-published_at").get_by_role("link", name="Now").click()
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/change/")
    assert "Published" in message(page)
    article.refresh_from_db()
    assert article.is_published()
    assert "received word" in article.sections.get(position=2).answer

    # A reader sees the published explainer.
    reader = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    reader.goto(site + article.get_absolute_url())
    assert reader.locator("h1").inner_text() == "What the joint exercises mean"
    assert "received word" in reader.locator("main").inner_text()

    # A correction, added after publication.
    page.locator("#notes-group .add-row a").click()
    page.locator("#notes-group select[name$='-kind']:visible").select_option(label="Correction")
    page.locator("#notes-group textarea:visible").first.fill(
        "An earlier version misspelled “received”."
    )
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/change/")
    reader.reload()
    assert "Correction: An earlier version misspelled" in reader.locator("main").inner_text()

    # A slip: the headline is overwritten and saved.
    page.get_by_label("Headline").fill("Draft headline, do not use")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/change/")
    reader.reload()
    assert reader.locator("h1").inner_text() == "Draft headline, do not use"

    # The editor compares the revision she reviewed with the one she published: the typo fix.
    page.get_by_role("link", name="History").click()
    page.get_by_label("Older").select_option(index=3)
    page.get_by_label("Newer").select_option(index=2)
    page.get_by_role("button", name=re.compile("Compare")).click()
    comparison = page.locator("#content")
    removed = comparison.locator(".compare-removed").all_inner_texts()
    added = comparison.locator(".compare-added").all_inner_texts()
    assert any("recieved" in text for text in removed)
    assert any("received" in text for text in added)
    page.screenshot(path=ARTIFACTS / "story-editor-compares.png", full_page=True)

    # ... and restores the revision before the slip.
    page.get_by_role("link", name="History").click()
    page.locator("#change-history tbody tr").nth(1).get_by_role("link").first.click()
    page.get_by_role("button", name="Save", exact=True).click()
    assert "Restored the revision" in message(page)
    article.refresh_from_db()
    assert article.headline == "What the joint exercises mean"
    assert article.is_published()
    reader.reload()
    assert reader.locator("h1").inner_text() == "What the joint exercises mean"
    assert "An earlier version misspelled" in reader.locator("main").inner_text()
    reader.screenshot(path=ARTIFACTS / "story-reader-390.png", full_page=True)
    context.close()
    assert problems == [] and blocked == []
