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

from explainers.models import Article

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
    article = Article.objects.get()
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
    article = Article.objects.get()
    page.goto(site + article.get_absolute_url() + "#what-has-been-ukraines-response")
    assert_scrolls_to(page, "what-has-been-ukraines-response")


def assert_scrolls_to(page, anchor):
    """The element `anchor` ends up at the top of the window (within its scroll margin)."""
    top = "id => document.getElementById(id).getBoundingClientRect().top"
    page.wait_for_function(f"id => ({top})(id) >= 0 && ({top})(id) < 50", arg=anchor, timeout=5000)
    assert page.evaluate("window.scrollY") > 0


@pytest.mark.parametrize("name, width, height", [("phone", 390, 844), ("desktop", 1280, 900)])
def test_screenshots_of_the_article_page(site, browser, name, width, height):
    article = Article.objects.get()
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
    article = Article.objects.get()
    return {
        "home": site + "/",
        "article": site + article.get_absolute_url(),
        "archive": site + "/tags/belarus/",
        "search": site + "/search/?q=troops",
    }


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
