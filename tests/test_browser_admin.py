"""
The admin pages Newsroom adds or changes, in a real browser: checked with axe-core (WCAG 2.2
A/AA, as the reader pages are) at desktop and phone width, the tabular inlines stacked on a phone,
and a visible focus ring on the rich-text editor. Screenshots of the article page are saved in
test-artifacts/.
"""

import re

import pytest
import reversion
from django.urls import reverse

from explainers.models import Article, UpdateNote
from tests.conftest import make_article
from tests.test_browser import ARTIFACTS, CHECKERS, WCAG_TAGS, browser, sign_in, watch_for_errors

__all__ = ["browser"]  # a fixture, imported for pytest

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def newsroom(transactional_db, live_server, reporter, editor):
    """A reporter's draft and a published article, each with questions, quotes, a byline and a
    correction; the published one has two revisions to compare; two tags to merge."""
    draft = make_article(
        status=Article.Status.DRAFT, created_by=reporter, slug="draft", headline="The draft"
    )
    published = make_article(sections=3)
    for article in (draft, published):
        UpdateNote.objects.create(
            article=article,
            section=article.sections.first(),
            kind=UpdateNote.Kind.CORRECTION,
            text="An earlier version gave the wrong date for the treaty.",
        )
    published.tags.add("Belarus", "Belorussia")
    for headline in ("An older headline", published.headline):
        with reversion.create_revision():
            published.headline = headline
            published.save()
    return {"site": live_server.url, "draft": draft, "published": published}


def change_url(article):
    return reverse("admin:explainers_article_change", args=[article.pk])


def go(page, url):
    response = page.goto(url)
    assert response.ok, f"{url}: {response.status}"


def settled(page):
    """Wait for what the admin's scripts build after loading: the autocompletes (select2) and
    the rich-text editors."""
    page.wait_for_function(
        """() => [...document.querySelectorAll("select.admin-autocomplete")]
            .filter(select => !select.name.includes("__prefix__"))
            .every(select => select.nextElementSibling?.matches(".select2-container"))
          && document.querySelectorAll(".ProseMirror").length >=
            [...document.querySelectorAll("[data-django-prose-editor-newsroom]")]
              .filter(field => !field.name.includes("__prefix__")).length"""
    )


def run_action(page, changelist, row_text, action):
    """Tick the row showing `row_text` in a change list and run `action` on it."""
    go(page, changelist)
    page.get_by_role("row").filter(has_text=row_text).first.get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option(action)
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state()


def visit_reporter_pages(page, newsroom, reference_text):
    """Each page a reporter works on, opened in turn; yields its name once it is showing."""
    site, draft = newsroom["site"], newsroom["draft"]
    go(page, site + reverse("admin:index"))
    yield "desk (reporter)"
    go(page, site + change_url(draft))
    yield "article change page (reporter)"
    go(page, site + reverse("admin:explainers_article_add"))
    yield "article add page (reporter)"
    go(page, site + reverse("admin:explainers_article_changelist") + "?state=draft")
    yield "article list, filtered (reporter)"
    go(page, site + reverse("admin:explainers_article_import"))
    yield "import page"
    page.get_by_label("Paste the explainer").fill(reference_text)
    page.get_by_role("button", name="Preview the import").click()
    page.get_by_text("What the importer understood").wait_for()
    yield "import preview"


def visit_editor_pages(page, newsroom):
    site, published = newsroom["site"], newsroom["published"]
    go(page, site + reverse("admin:index"))
    yield "desk (editor)"
    go(page, site + change_url(published))
    yield "article change page (editor)"
    go(page, site + reverse("admin:explainers_article_changelist"))
    yield "article list (editor)"
    run_action(
        page, site + reverse("admin:explainers_article_changelist"), published.headline, "schedule"
    )
    page.get_by_role("heading", name="Schedule articles").wait_for()
    yield "schedule action page"
    run_action(page, site + reverse("admin:taggit_tag_changelist"), "Belorussia", "merge_tags")
    page.get_by_role("heading", name="Merge tags").wait_for()
    yield "tag merge page"
    go(page, site + reverse("admin:explainers_article_history", args=[published.pk]))
    yield "history page"
    go(page, site + reverse("admin:explainers_article_compare", args=[published.pk]))
    yield "compare page"


def axe_problems(page, script):
    """axe-core's serious and critical findings on the page as it stands, one line each, naming
    the rule and the elements."""
    page.add_script_tag(content=script)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    assert result["passes"], "axe checked nothing"
    return [
        f"{v['impact']} {v['id']}: {v['help']} — "
        + "; ".join(f"{node['target']} {node['html'][:200]}" for node in v["nodes"][:6])
        + (f" (and {len(v['nodes']) - 6} more)" if len(v["nodes"]) > 6 else "")
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_admin_pages_pass_axe_and_fit_the_window(
    newsroom, browser, reporter, editor, reference_text, width
):
    script = (CHECKERS / "axe-core" / "axe.min.js").read_text()
    width, height = WIDTHS[width]
    ARTIFACTS.mkdir(exist_ok=True)
    report = {}
    for user, pages in (
        (reporter, lambda page: visit_reporter_pages(page, newsroom, reference_text)),
        (editor, lambda page: visit_editor_pages(page, newsroom)),
    ):
        # axe is injected as an inline script, which the admin's Content Security Policy forbids.
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        page = context.new_page()
        sign_in(page, newsroom["site"], user)
        for name in pages(page):
            page.wait_for_load_state("load")
            settled(page)
            report[name] = axe_problems(page, script)
            page_width = page.evaluate("document.documentElement.scrollWidth")
            if page_width > width:
                report[name].append(f"the page is {page_width} px wide, wider than the window")
            slug = re.sub(r"\W+", "-", name).strip("-")
            page.screenshot(path=str(ARTIFACTS / f"admin-{slug}-{width}.png"))
        context.close()
    found = [f"{name}: {problem}" for name, problems in report.items() for problem in problems]
    assert len(report) == 13 and not found, "\n".join(found)


def box(page, selector):
    return page.locator(selector).bounding_box()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_article_page_fits_the_screen(newsroom, browser, editor, width):
    """No sideways scrolling: the corrections and the byline stack into labelled blocks on a
    phone, and the corrections table fits a desktop window."""
    width, height = WIDTHS[width]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems, blocked = watch_for_errors(page)
    sign_in(page, newsroom["site"], editor)
    page.goto(newsroom["site"] + change_url(newsroom["published"]))
    page.locator(".field-lead .ProseMirror").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-article-{width}.png"), full_page=True)
    for group in ("bylines", "notes"):
        page.locator(f"#{group}-group").screenshot(
            path=str(ARTIFACTS / f"admin-article-{width}-{group}.png")
        )

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for group in ("#notes-group", "#bylines-group"):
        table = page.locator(f"{group} table")
        assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth"), group
    text = box(page, "#id_notes-0-text")
    assert 0 <= text["x"] and text["x"] + text["width"] <= width
    if width < 600:
        # Each row is a block; each field says what it is.
        date = box(page, "#notes-0 .field-noted_at")
        assert text["y"] > date["y"]
        assert (
            page.locator("#notes-0 .field-text")
            .evaluate("cell => getComputedStyle(cell, '::before').content")
            .startswith('"Text"')
        )
    assert problems == [] and blocked == []
    context.close()


def test_the_autocomplete_and_tabular_fields_are_named_after_their_labels(
    newsroom, browser, editor
):
    """What a screen reader announces: each field by its label or column, under the admin's
    Content Security Policy."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems, blocked = watch_for_errors(page)
    sign_in(page, newsroom["site"], editor)
    page.goto(newsroom["site"] + change_url(newsroom["published"]))
    hero = page.get_by_role("combobox", name="Hero photo")
    hero.click()
    expect(page.get_by_role("searchbox", name="Hero photo")).to_be_focused()
    page.keyboard.press("Escape")
    page.get_by_role("searchbox", name="Sources cited in the lead").wait_for()
    page.get_by_role("combobox", name="Author James Beardsworth").wait_for()
    notes = page.locator("#notes-0")
    assert notes.get_by_role("textbox", name="Date, date").input_value()
    assert notes.get_by_role("combobox", name="Kind").input_value() == "correction"
    assert "wrong date" in notes.get_by_role("textbox", name="Text").input_value()
    assert page.locator("#bylines-0").get_by_role("spinbutton", name="Position").count() == 1
    assert problems == [] and blocked == []
    context.close()


def luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_rich_text_editor_shows_where_the_focus_is(newsroom, browser, reporter):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, newsroom["site"], reporter)
    page.goto(newsroom["site"] + change_url(newsroom["draft"]))
    editor = page.locator(".field-lead .prose-editor")
    outline = "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth] }"
    assert editor.evaluate(outline)[0] == "none"
    page.locator(".field-lead .ProseMirror").focus()
    page.wait_for_function(
        "() => document.activeElement.matches('.field-lead .ProseMirror')", timeout=5000
    )
    style, outline_width = editor.evaluate(outline)
    assert style != "none" and float(outline_width.removesuffix("px")) >= 2
    colour, background = editor.evaluate(
        """el => {
            const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
            let bg = document.body;
            return [rgb(getComputedStyle(el).outlineColor),
                    rgb(getComputedStyle(bg).backgroundColor)];
        }"""
    )
    assert contrast(colour, background) >= 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".field-lead").screenshot(path=str(ARTIFACTS / "admin-editor-focus.png"))
    context.close()
