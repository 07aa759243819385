"""
The revision comparison: an editor changes something through the admin, and the comparison page
shows what it was and what it became, in words.
"""

import datetime

import pytest
import reversion
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from explainers.models import Article, Author, Byline
from tests.conftest import make_article, make_photo
from tests.test_admin import form_data
from tests.test_browser import (  # noqa: F401
    ARTIFACTS,
    CHECKERS,
    WCAG_TAGS,
    browser,
    sign_in,
    watch_for_errors,
)
from tests.test_workflow import save_via_admin


def compare_url(article):
    return reverse("admin:explainers_article_compare", args=[article.pk])


def lines(response):
    """The comparison's lines as (kind, text): kind is "same", "removed" or "added"."""
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    return [
        (li["class"][1].removeprefix("compare-"), li.select_one(".compare-text").get_text())
        for li in html.select("#comparison li.compare-line")
    ]


def changes(response):
    return [(kind, text) for kind, text in lines(response) if kind != "same"]


def revisions(article):
    """The article's revisions, newest first."""
    return list(Version.objects.get_for_object(article))


def test_a_changed_link_address_shows_as_a_change(editor_client):
    article = make_article(
        lead='<p>Read <a href="https://example.org/report-2025">the report</a>.</p>'
    )
    save_via_admin(editor_client, article)
    save_via_admin(
        editor_client,
        article,
        lead='<p>Read <a href="https://example.org/report-2026">the report</a>.</p>',
    )
    assert changes(editor_client.get(compare_url(article))) == [
        ("removed", "Read the report [https://example.org/report-2025]."),
        ("added", "Read the report [https://example.org/report-2026]."),
    ]


def test_tags_are_kept_in_revisions_and_compared(editor_client):
    article = make_article()
    save_via_admin(editor_client, article, tags="Belarus")
    save_via_admin(editor_client, article, tags="Belarus, Russia")
    assert changes(editor_client.get(compare_url(article))) == [
        ("removed", "Tags: Belarus"),
        ("added", "Tags: Belarus, Russia"),
    ]


def test_restoring_a_revision_brings_its_tags_back(editor_client):
    article = make_article()
    save_via_admin(editor_client, article, tags="Belarus")
    first = revisions(article)[0]
    save_via_admin(editor_client, article, tags="Russia")
    url = reverse("admin:explainers_article_revision", args=[article.pk, first.pk])
    response = editor_client.post(url, form_data(editor_client.get(url)), follow=True)
    assert response.status_code == 200
    assert list(article.tags.names()) == ["Belarus"]


@pytest.mark.parametrize("made", ["with no tags", "before tags were recorded"])
def test_restoring_a_revision_that_records_no_tags_keeps_the_current_ones(editor_client, made):
    article = make_article()
    save_via_admin(
        editor_client,
        article,
        headline="Version one",
        tags="" if made == "with no tags" else "Belarus",
    )
    first = revisions(article)[0]
    if made == "before tags were recorded":
        first.revision.version_set.filter(content_type__model="taggeditem").delete()
    save_via_admin(editor_client, article, headline="Version two", tags="Russia, Ukraine")
    url = reverse("admin:explainers_article_revision", args=[article.pk, first.pk])
    page = editor_client.get(url)
    shown = BeautifulSoup(page.content, "html.parser").select_one('input[name="tags"]')
    assert shown["value"] == "Russia, Ukraine"
    response = editor_client.post(url, form_data(page), follow=True)
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.headline == "Version one"
    assert sorted(article.tags.names()) == ["Russia", "Ukraine"]


def test_a_revision_holding_only_another_articles_tags_does_not_record_this_ones(editor_client):
    article = make_article(headline="Ours")
    other = make_article(headline="Theirs", slug="theirs")
    other.tags.add("Belarus")
    # One revision of both, as a bulk action may make: it holds the other article's tagging.
    with reversion.create_revision():
        reversion.add_to_revision(article)
        reversion.add_to_revision(other)
    save_via_admin(editor_client, article, tags="Russia")
    assert changes(editor_client.get(compare_url(article))) == [
        ("removed", "Tags: none (or not recorded: revisions made before tags were kept hold none)"),
        ("added", "Tags: Russia"),
    ]


def test_a_new_byline_shows_the_authors_in_order(editor_client):
    article = make_article()
    save_via_admin(editor_client, article)
    other = Author.objects.create(name="Alla Ivanova", slug="alla-ivanova")
    save_via_admin(
        editor_client,
        article,
        **{"bylines-1-author": str(other.pk), "bylines-1-position": "1"},
    )
    assert changes(editor_client.get(compare_url(article))) == [
        ("removed", "By: James Beardsworth"),
        ("added", "By: James Beardsworth, Alla Ivanova"),
    ]


def test_a_deleted_author_is_named_as_deleted(editor_client):
    article = make_article()
    save_via_admin(editor_client, article)
    guest = Author.objects.create(name="Guest Writer", slug="guest")
    save_via_admin(editor_client, article, **{"bylines-1-author": str(guest.pk)})
    save_via_admin(editor_client, article, **{"bylines-1-DELETE": "on"})
    guest_pk = guest.pk
    Byline.objects.filter(author=guest).delete()
    guest.delete()
    newest, middle, _ = revisions(article)
    response = editor_client.get(compare_url(article), {"a": middle.pk, "b": newest.pk})
    assert ("removed", f"By: James Beardsworth, (deleted author #{guest_pk})") in changes(response)


def test_an_added_correction_shows_its_time_kind_question_and_text(editor_client, settings):
    settings.TIME_ZONE = "Europe/Minsk"
    article = make_article()
    save_via_admin(editor_client, article)
    section = article.sections.first()
    save_via_admin(
        editor_client,
        article,
        **{
            "notes-TOTAL_FORMS": "1",
            "notes-0-article": str(article.pk),
            "notes-0-noted_at_0": "2026-12-01",
            "notes-0-noted_at_1": "22:09:50",
            "notes-0-kind": "correction",
            "notes-0-section": str(section.pk),
            "notes-0-text": "An earlier version misstated the treaty's year.",
        },
    )
    assert ("removed", "None") in changes(editor_client.get(compare_url(article)))
    assert (
        "added",
        "Correction, Dec. 1, 2026, 10:09 p.m., on “Question number 1?”: "
        "An earlier version misstated the treaty's year.",
    ) in changes(editor_client.get(compare_url(article)))


def test_a_changed_photo_credit_and_the_photo_itself_show_in_words(editor_client):
    photo = make_photo(title="Troops at the border")
    article = make_article(hero_photo=photo)
    save_via_admin(editor_client, article)
    save_via_admin(editor_client, article, hero_credit="Sergei Grits / AP")
    response = editor_client.get(compare_url(article))
    assert ("same", "Photo: Troops at the border") in lines(response)
    assert changes(response) == [
        ("removed", "Credit for this story: — (the photo’s own)"),
        ("added", "Credit for this story: Sergei Grits / AP"),
    ]


def test_status_and_dates_are_shown_in_words_in_the_sites_time_zone(editor_client, settings):
    settings.TIME_ZONE = "Europe/Minsk"  # UTC+3
    article = make_article(
        status=Article.Status.DRAFT,
        published_at=datetime.datetime(2026, 12, 1, 19, 9, 50, tzinfo=datetime.UTC),
    )
    save_via_admin(editor_client, article)
    save_via_admin(editor_client, article, status="review")
    response = editor_client.get(compare_url(article))
    assert changes(response) == [("removed", "Status: Draft"), ("added", "Status: In review")]
    assert ("same", "Publication date: Dec. 1, 2026, 10:09 p.m.") in lines(response)
    assert "+00:00" not in response.content.decode()


def test_either_order_gives_the_same_comparison_older_first(editor_client):
    article = make_article()
    save_via_admin(editor_client, article, headline="Before")
    save_via_admin(editor_client, article, headline="After")
    newer, older = revisions(article)[:2]
    forward = editor_client.get(compare_url(article), {"a": older.pk, "b": newer.pk})
    backward = editor_client.get(compare_url(article), {"a": newer.pk, "b": older.pk})
    assert (
        changes(forward)
        == changes(backward)
        == [
            ("removed", "Headline: Before"),
            ("added", "Headline: After"),
        ]
    )


def test_a_revision_compared_with_itself_has_no_differences(editor_client):
    article = make_article()
    save_via_admin(editor_client, article)
    save_via_admin(editor_client, article, headline="After")
    newest = revisions(article)[0]
    response = editor_client.get(compare_url(article), {"a": newest.pk, "b": newest.pk})
    assert changes(response) == []
    assert "No differences" in response.content.decode()


@pytest.mark.parametrize("bad", ["abc", "", "-1", "99999999999999999999999", "1.5", "١"])
def test_a_version_that_is_not_one_of_the_articles_is_not_found(editor_client, bad):
    article = make_article()
    save_via_admin(editor_client, article)
    save_via_admin(editor_client, article, headline="After")
    newest = revisions(article)[0]
    response = editor_client.get(compare_url(article), {"a": bad, "b": newest.pk})
    assert response.status_code == 404


def test_another_articles_revision_is_not_found(editor_client):
    article = make_article()
    other = make_article(slug="other", headline="Another story")
    for story in (article, other, article):
        save_via_admin(editor_client, story)
    foreign = revisions(other)[0]
    response = editor_client.get(
        compare_url(article), {"a": foreign.pk, "b": revisions(article)[0].pk}
    )
    assert response.status_code == 404
    assert "Another story" not in response.content.decode()
    missing = reverse("admin:explainers_article_compare", args=[other.pk + 100])
    assert editor_client.get(missing).status_code == 404


def test_unchanged_lines_are_folded_but_the_whole_article_is_there(editor_client):
    article = make_article(sections=4)
    save_via_admin(editor_client, article)
    save_via_admin(editor_client, article, headline="After")
    response = editor_client.get(compare_url(article))
    html = BeautifulSoup(response.content, "html.parser")
    folded = html.select_one("#comparison details")
    assert folded.summary.get_text().startswith("Show ")
    assert "Answer 4." in folded.get_text()  # far from the change: folded away, still on the page
    unfolded = editor_client.get(compare_url(article), {"all": "1"})
    page = BeautifulSoup(unfolded.content, "html.parser")
    assert page.select("#comparison details") == []
    assert ("same", "Answer 4.") in lines(unfolded)
    assert ("same", "Quote: “Words 4.0” — Victor Khrenin, Belarusian Defense Minister") in lines(
        unfolded
    )


def test_the_comparison_is_readable_on_a_phone(transactional_db, live_server, editor, browser):  # noqa: F811
    """At 390 px wide no horizontal scrolling, even with a long unbroken address in a changed
    line, and no serious accessibility problem (axe-core). Screenshots at 1280 and 390 px."""
    long_address = "https://example.org/" + "a" * 300
    article = make_article(
        sections=3,
        lead=f'<p>The treaty was signed in 1999 and is <a href="{long_address}">published</a>.</p>',
    )
    article.tags.add("Belarus")
    client = Client()
    client.force_login(editor)
    save_via_admin(client, article)
    save_via_admin(
        client,
        article,
        headline="What is the Union State of Belarus and Russia?",
        lead=f'<p>The treaty was signed in 1999 and is <a href="{long_address}b">published</a>.</p>',
        tags="Belarus, Russia",
        **{"sections-1-answer": "<p>Answer 2, rewritten with more words.</p>"},
    )
    script = (CHECKERS / "axe-core" / "axe.min.js").read_text()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    problems, _ = watch_for_errors(page)
    sign_in(page, live_server.url, editor)
    page.goto(live_server.url + compare_url(article))
    page.locator("#comparison li.compare-added").first.wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "compare-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#comparison details summary").first.click()
    page.locator("#comparison details[open]").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=ARTIFACTS / "compare-390.png", full_page=True)
    page.add_script_tag(content=script)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    context.close()
    assert result["passes"]
    serious = [
        f"{v['id']}: {v['help']} (e.g. {v['nodes'][0]['html'][:120]})"
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]
    assert serious == []
    assert problems == []
