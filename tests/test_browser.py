"""
The site in a real browser: Debian's Chromium, headless, driven by Playwright (no browser
download), against the site served by a live server. Checked with axe-core (WCAG 2.2 A/AA) and
the Nu Html Checker. `make test` installs Chromium, Java and the checkers (tests/browser/setup.sh).

Screenshots of the article page are saved in test-artifacts/.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from explainers.models import Article, Source
from explainers.richtext import html_to_text
from tests.conftest import make_article

HERE = Path(__file__).resolve().parent
CHECKERS = HERE / "browser" / "node_modules"
ARTIFACTS = HERE.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the fixtures
# here are ordinary blocking calls, made before or between page loads.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(transactional_db, live_server, settings):
    settings.NEWSROOM_SERVE_MEDIA = True
    call_command("load_demo", verbosity=0)
    return live_server.url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_a_reader_follows_the_demo_explainer_and_jumps_to_a_question(site, page):
    article = Article.objects.get(language="en")
    page.goto(site + "/")
    page.get_by_role("link", name=article.headline).click()
    page.wait_for_url(f"**{article.get_absolute_url()}")
    assert page.locator("h1").inner_text() == article.headline
    assert page.evaluate("window.scrollY") == 0
    page.locator("nav.toc").get_by_role(
        "link", name="Where will they go and what will they do?"
    ).click()
    page.wait_for_url("**#where-will-they-go-and-what-will-they-do")
    # The question scrolls (smoothly) to the top of the window.
    assert_scrolls_to(page, "where-will-they-go-and-what-will-they-do")
    assert page.locator(":target h2").inner_text() == "Where will they go and what will they do?"


def test_a_reader_arriving_on_an_anchor_lands_on_that_question(site, page):
    article = Article.objects.get(language="en")
    page.goto(site + article.get_absolute_url() + "#what-has-been-ukraines-response")
    assert_scrolls_to(page, "what-has-been-ukraines-response")


def assert_scrolls_to(page, anchor):
    """The element `anchor` ends up at the top of the window (within its scroll margin)."""
    top = "id => document.getElementById(id).getBoundingClientRect().top"
    page.wait_for_function(f"id => ({top})(id) >= 0 && ({top})(id) < 50", arg=anchor, timeout=5000)
    assert page.evaluate("window.scrollY") > 0


@pytest.mark.parametrize("name, width, height", [("phone", 390, 844), ("desktop", 1280, 900)])
def test_screenshots_of_the_article_page(site, browser, name, width, height):
    article = Article.objects.get(language="en")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(site + article.get_absolute_url())
    # The page fits the screen: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The photo loaded, from a rendition no wider than the screen needs.
    assert 0 < page.evaluate("document.querySelector('figure.hero img').naturalWidth") <= 1600
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"article-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    context.close()
    assert path.stat().st_size > 10_000


def reader_pages(site):
    article = Article.objects.get(language="en")
    return {
        "home": site + "/",
        "article": site + article.get_absolute_url(),
        "article in Russian": site + article.versions().get(language="ru").get_absolute_url(),
        "archive": site + "/tags/belarus/",
        "search": site + "/search/?q=troops",
        # The Russian part of the site (/ru/).
        "home in Russian": site + "/ru/",
        "month in Russian": site + "/ru/archive/2022/10/",
        "topic in Russian": site + "/ru/tags/belarus/",
        "speaker in Russian": site + "/ru/speakers/alexander-lukashenko/",
        "source in Russian": f"{site}/ru/sources/{Source.objects.get(name='Belta').pk}/",
        "search in Russian": site + "/ru/search/?q=войска",
    }


def test_a_reader_switches_to_the_russian_version_and_back(site, browser):
    article = Article.objects.get(language="en")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(site + article.get_absolute_url())
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_role("navigation", name="This story in other languages").get_by_role(
        "link", name="Русский"
    ).click()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.lang") == "ru"
    assert page.locator("h1").first.inner_text().startswith("Угрожает ли Украине")
    # Russian quotation marks and the site's words in Russian.
    assert (
        page.evaluate(
            "getComputedStyle(document.querySelector('.quote blockquote p'), '::before').content"
        )
        == '"«"'
    )
    # The source as Russian writes it (the demo names it in Russian).
    assert page.locator(".quote figcaption").first.inner_text().endswith("по данным БелТА")
    assert page.locator(".question-link a").first.inner_text() == "Ссылка на этот вопрос"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "article-ru-phone.png"), full_page=True)
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("load")
    assert page.url == site + article.get_absolute_url()
    context.close()


def test_no_wcag_violations_on_the_reader_pages(site, browser):
    script = (CHECKERS / "axe-core" / "axe.min.js").read_text()
    # axe is injected as an inline script, which the site's Content Security Policy forbids.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    report = {}
    for name, url in reader_pages(site).items():
        page.goto(url)
        page.add_script_tag(content=script)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        assert result["passes"], f"axe checked nothing on {name}"
        report[name] = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])} element(s), e.g. {v['nodes'][0]['html'][:120]})"
            for v in result["violations"]
        ]
    context.close()
    assert report == {name: [] for name in report}


def test_the_reader_pages_work_under_their_content_security_policy(site, page):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    for url in reader_pages(site).values():
        response = page.goto(url)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
    assert problems == []


def test_the_reader_pages_are_valid_html(site, page, tmp_path):
    files = []
    for name, url in reader_pages(site).items():
        page.goto(url)
        path = tmp_path / f"{name}.html"
        path.write_text(page.evaluate("fetch(location.href).then(r => r.text())"))
        files.append(str(path))
    vnu = CHECKERS / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(
        ["java", "-jar", str(vnu), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=180,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    problems = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages
    ]
    assert problems == []


# The editor's side: the admin's article page in a real browser.


def sign_in(page, site, user):
    page.goto(site + "/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(f"pw-{user.username}-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def watch_for_errors(page):
    """Console errors, uncaught exceptions and dialogs (an alert() would be an injected script).

    Returns two lists: the problems, and what the Content Security Policy blocked (hostile
    markup pasted on purpose is expected there)."""
    problems, blocked = [], []

    def console(message):
        if message.type != "error":
            return
        text = message.text
        csp = "Content Security Policy" in text and "has been blocked" in text
        (blocked if csp else problems).append(text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "dialog", lambda dialog: problems.append(f"dialog: {dialog.message}") or dialog.dismiss()
    )
    return problems, blocked


def drag(page, source, target):
    """Drag `source` by its left end onto the top edge of `target`, the way a mouse would."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 20, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 20, start["y"] - 10, steps=5)
    page.mouse.move(end["x"] + 20, end["y"] + 4, steps=20)
    page.mouse.up()


def edit_own_draft(page, site, reporter, **overrides):
    """A reporter's draft (see make_article), open on its admin page; returns the article and
    the problems and CSP blocks seen from then on (see watch_for_errors)."""
    article = make_article(status=Article.Status.DRAFT, created_by=reporter, **overrides)
    problems, blocked = watch_for_errors(page)
    sign_in(page, site, reporter)
    page.goto(site + reverse("admin:explainers_article_change", args=[article.pk]))
    return article, problems, blocked


def save_and_continue(page):
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/change/")
    assert page.get_by_text("was changed successfully").is_visible()


def select_first_word(page, prose, word):
    """Select the first word of a rich-text field with the keyboard, waiting for the selection
    itself rather than for time: the editor may still move the caret just after it is focused
    (on a loaded machine, long after), so the keys are pressed again until the word is chosen."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(5):
        prose.focus()  # focused rather than clicked: a click sets the selection a moment later
        page.keyboard.press("Control+Home")
        page.keyboard.press("Control+Shift+ArrowRight")
        try:
            page.wait_for_function(
                "word => window.getSelection().toString().trim() === word", arg=word, timeout=3000
            )
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the editor never selected “{word}”")


def test_a_reporter_imports_the_reference_article_reorders_it_and_bolds_a_word(
    transactional_db, live_server, reporter, page, reference_text
):
    site = live_server.url
    problems, blocked = watch_for_errors(page)
    sign_in(page, site, reporter)

    # Paste the explainer, check what the importer understood, confirm.
    page.get_by_role("link", name="Articles").first.click()
    page.get_by_role("link", name="Import explainer").click()
    page.get_by_label("Paste the explainer").fill(reference_text)
    page.get_by_role("button", name="Preview the import").click()
    assert page.get_by_text("How many troops will be assembled?").first.is_visible()
    assert not Article.objects.exists()
    page.get_by_role("button", name="Create the draft").click()
    page.wait_for_url("**/change/")
    article = Article.objects.get(language="en")
    first, second = article.sections.order_by("position")[:2]

    # Drag the second question above the first; both headings on the screen.
    page.set_viewport_size({"width": 1280, "height": 1800})
    questions = page.locator("#sections-group .inline-related.has_original")
    questions.nth(0).evaluate("row => row.scrollIntoView({block: 'start'})")
    drag(page, questions.nth(1).locator("h3"), questions.nth(0).locator("h3"))
    labels = questions.locator(".inline_label")
    assert labels.nth(0).inner_text().strip() == second.question
    assert labels.nth(1).inner_text().strip() == first.question

    # Bold the first word of what is now the first answer, with the editor's toolbar.
    word = html_to_text(second.answer).split()[0]
    editor = questions.nth(0).locator(".prose-editor")
    bolded = editor.locator(".ProseMirror strong")
    for _ in range(3):  # the editor may take the selection in after the click, when loaded
        select_first_word(page, editor.locator(".ProseMirror"), word)
        editor.get_by_role("button", name="bold").click()
        try:
            bolded.first.wait_for(timeout=3000)
            break
        except PlaywrightTimeout:
            continue
    assert bolded.first.inner_text().strip() == word

    save_and_continue(page)
    saved = list(article.sections.order_by("position"))
    assert [s.question for s in saved[:2]] == [second.question, first.question]
    assert saved[0].answer.startswith(f"<p><strong>{word}</strong>")

    # The preview shows the new order and the bold word.
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Preview changes").click()
    preview = opened.value
    preview.wait_for_load_state()
    headings = preview.locator("section.question h2").all_inner_texts()
    assert headings[:2] == [second.question, first.question]
    first_answer = preview.locator("section.question").first
    assert first_answer.locator("strong").first.inner_text() == word
    assert problems == [] and blocked == []


def paste(editor, html):
    """Paste `html` into a rich-text editor as the clipboard of a browser copy would hold it."""
    editor.focus()
    editor.page.keyboard.press("Control+End")
    editor.evaluate(
        """(editor, html) => {
            const data = new DataTransfer();
            data.setData("text/html", html);
            data.setData("text/plain", "Pasted words");
            editor.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        html,
    )


def test_a_pasted_script_never_reaches_the_saved_article(
    transactional_db, live_server, reporter, page
):
    article, problems, blocked = edit_own_draft(page, live_server.url, reporter)

    lead = page.locator(".field-lead .ProseMirror")
    paste(
        lead,
        '<p style="color:red" onclick="alert(1)">Pasted <b>bold</b> words'
        '<script>alert("pasted script")</script>'
        '<img src="/nowhere.png" onerror="alert(2)">'
        '<a href="javascript:alert(3)">a bad link</a></p>',
    )
    assert "Pasted" in lead.inner_text()
    assert lead.locator("script, img, [style], [onclick]").count() == 0
    save_and_continue(page)

    article.refresh_from_db()
    assert "Pasted <strong>bold</strong> words" in article.lead
    for forbidden in ("<script", "alert", "onerror", "onclick", "style=", "javascript:", "<img"):
        assert forbidden not in article.lead
    # Nothing ran, and nothing even reached the Content Security Policy.
    assert problems == [] and blocked == []


def test_formatting_pasted_from_a_word_processor_is_kept_and_the_rest_dropped(
    transactional_db, live_server, reporter, page
):
    article, problems, blocked = edit_own_draft(page, live_server.url, reporter, sections=1)

    # As Google Docs puts it on the clipboard: styled spans inside a "not bold" <b>.
    paste(
        page.locator("#sections-0 .ProseMirror"),
        '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1">'
        '<h2 style="font-size:16pt">A heading</h2><p dir="ltr" style="line-height:1.38">'
        '<span style="font-family:Arial;font-weight:700;font-style:normal;">Docs bold</span>'
        '<span style="font-family:Arial;font-weight:400;"> and plain and </span>'
        '<span style="font-weight:400;font-style:italic;">docs italic</span></p>'
        '<ul><li><span style="font-weight:400">a point</span></li></ul>'
        "<table><tr><td>a cell</td></tr></table></b>",
    )
    save_and_continue(page)

    answer = article.sections.get().answer
    assert "<strong>Docs bold</strong> and plain and <em>docs italic</em>" in answer
    assert "<li><p>a point</p></li>" in answer
    for dropped in ("<h2", "<table", "<td", "<span", "style=", "<b ", "font"):
        assert dropped not in answer
    assert "A heading" in answer and "a cell" in answer
    assert problems == [] and blocked == []


def test_a_keyboard_user_reorders_questions_and_adds_a_speaker_without_leaving_the_article(
    transactional_db, live_server, reporter, page
):
    article, problems, blocked = edit_own_draft(page, live_server.url, reporter, sections=3)

    # The headline counts its characters against what search results show.
    headline = page.get_by_label("Headline")
    headline.fill("x" * 70)
    count = page.locator("#id_headline_count")
    assert count.inner_text() == (
        "70 characters; search results show about 60 — the last 10 may be cut off."
    )
    assert "count" in headline.get_attribute("aria-describedby")
    headline.fill("Why Belarus matters")
    assert count.inner_text() == "19 characters; search results show about 60."

    # Question 1 goes down one place with the keyboard; the change is announced.
    questions = page.locator("#sections-group .inline-related.has_original")
    questions.nth(0).get_by_role("button", name="Move down").focus()
    page.keyboard.press("Enter")
    assert questions.nth(0).locator(".inline_label").inner_text().strip() == "Question number 2?"
    assert "moved to position 2 of 3" in page.locator("#sections-group [role=status]").inner_text()

    # The first quote's speaker is new: added in a pop-up, chosen on return.
    quote = page.locator("#quotes-0")
    with page.expect_popup() as opened:
        quote.get_by_title("Add another speaker").click()
    popup = opened.value
    popup.get_by_label("Name").fill("Pavel Muzyka")
    popup.get_by_label("Usual role").fill("Analyst")
    # Waiting starts before the click: the pop-up may close before a later wait would begin.
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Save", exact=True).click()
    assert quote.locator("select[name$='-speaker'] option:checked").inner_text() == "Pavel Muzyka"

    save_and_continue(page)
    article.refresh_from_db()
    assert article.headline == "Why Belarus matters"
    assert list(article.sections.values_list("question", flat=True)) == [
        "Question number 2?",
        "Question number 1?",
        "Question number 3?",
    ]
    assert article.quotes.order_by("position", "id").first().speaker.name == "Pavel Muzyka"
    assert problems == [] and blocked == []
