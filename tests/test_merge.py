"""Two editors save the same article: the second save is refused, and the form it comes back with
holds the colleague's changes merged with the editor's own (explainers.merge)."""

import pytest
import reversion
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from explainers.models import Article, QuestionSection
from tests.conftest import make_article, staff
from tests.test_admin import change_url, errors, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(editor):
    return staff(type(editor), "colleague", "Editor", first_name="Col", last_name="League")


@pytest.fixture
def two_open(client, editor, colleague):
    """An article with a revision, open in two editors' browsers: (article, mine, theirs) with
    a client and the form data of each."""
    with reversion.create_revision():
        article = make_article(sections=3)
    client.force_login(editor)
    other = Client()
    other.force_login(colleague)
    mine = form_data(client.get(change_url(article)))
    theirs = form_data(other.get(change_url(article)))
    return article, (client, mine), (other, theirs)


def save(client, article, data):
    return client.post(change_url(article), data, follow=True)


def page(response):
    return BeautifulSoup(response.content, "html.parser")


def row_of(html, prefix, pk):
    """The form prefix ("sections-2") of the row with this id on the page."""
    field = html.select_one(f'input[name$="-id"][name^="{prefix}-"][value="{pk}"]')
    return field["name"].removesuffix("-id") if field else None


def field_errors(html, name):
    return [li.text for li in html.select(f"#id_{name}_error li")] or [
        li.text for li in html.select(f".field-{name.split('-')[-1]} .errorlist li")
    ]


def sections(article):
    return list(QuestionSection.objects.filter(article=article).order_by("position"))


def test_a_summary_and_an_answer_changed_by_two_editors_are_both_kept(two_open):
    article, (me, mine), (other, theirs) = two_open
    theirs["dek"] = "Their new summary."
    assert errors(save(other, article, theirs)) == []

    mine["sections-1-answer"] = "<p>My new answer.</p>"
    refused = me.post(change_url(article), mine)
    assert refused.status_code == 200
    problems = errors(refused)
    assert len(problems) == 1
    assert problems[0].startswith("Col League saved this article at ")
    assert "They changed: Summary." in problems[0]
    html = page(refused)
    # The colleague's summary is on the form, with this editor's answer.
    assert html.select_one('input[name="dek"]')["value"] == "Their new summary."
    assert "My new answer." in html.select_one('textarea[name="sections-1-answer"]').text
    assert Article.objects.get().dek == "Their new summary."

    assert errors(save(me, article, form_data(refused))) == []
    article.refresh_from_db()
    assert article.dek == "Their new summary."
    assert sections(article)[1].answer == "<p>My new answer.</p>"


def test_a_headline_both_changed_is_marked_on_the_headline_with_the_colleagues(two_open):
    article, (me, mine), (other, theirs) = two_open
    theirs["headline"] = "Their headline"
    theirs["sections-0-question"] = "Their question?"
    assert errors(save(other, article, theirs)) == []

    mine["headline"] = "My headline"
    refused = me.post(change_url(article), mine)
    html = page(refused)
    on_headline = field_errors(html, "headline")
    assert len(on_headline) == 1
    assert "Col League changed this to “Their headline”" in on_headline[0]
    assert html.select_one('input[name="headline"]')["value"] == "My headline"
    assert "Headline" in errors(refused)[0] and "Question number 1?" not in errors(refused)[0]
    assert "Question “Their question?” (question)" in errors(refused)[0]
    assert html.select_one('input[name="sections-0-question"]')["value"] == "Their question?"

    # Saving again on purpose keeps this editor's headline and the colleague's question.
    assert errors(save(me, article, form_data(refused))) == []
    article.refresh_from_db()
    assert article.headline == "My headline"
    assert sections(article)[0].question == "Their question?"


def test_the_refusal_links_the_comparison_of_the_two_revisions(two_open):
    article, (me, mine), (other, theirs) = two_open
    opened = Version.objects.get_for_object(article).first()
    theirs["dek"] = "Theirs."
    save(other, article, theirs)
    newest = Version.objects.get_for_object(article).first()
    link = page(me.post(change_url(article), mine)).select_one(".errorlist a")
    compare = reverse("admin:explainers_article_compare", args=[article.pk])
    assert link["href"] == f"{compare}?a={opened.pk}&b={newest.pk}"


def test_questions_reordered_by_the_colleague_keep_their_order_and_my_answer(two_open):
    article, (me, mine), (other, theirs) = two_open
    first, second, third = sections(article)
    # The colleague moves the third question to the top.
    theirs.update({"sections-0-position": "2", "sections-1-position": "3"})
    theirs["sections-2-position"] = "1"
    assert errors(save(other, article, theirs)) == []
    assert [s.pk for s in sections(article)] == [third.pk, first.pk, second.pk]

    mine["sections-0-answer"] = "<p>My answer to the first.</p>"  # the first question's
    refused = me.post(change_url(article), mine)
    html = page(refused)
    assert "The order of the questions" in errors(refused)[0]
    # The rows are on the form in the colleague's order, each with its own answer.
    assert row_of(html, "sections", third.pk) == "sections-0"
    assert row_of(html, "sections", first.pk) == "sections-1"
    assert "My answer to the first." in html.select_one('[name="sections-1-answer"]').text

    assert errors(save(me, article, form_data(refused))) == []
    ordered = sections(article)
    assert [s.pk for s in ordered] == [third.pk, first.pk, second.pk]
    assert ordered[1].answer == "<p>My answer to the first.</p>"
    assert ordered[0].answer == "<p>Answer 3.</p>"


def test_a_question_added_by_the_colleague_is_on_the_form_and_kept(two_open):
    article, (me, mine), (other, theirs) = two_open
    theirs.update(
        {
            "sections-TOTAL_FORMS": "4",
            "sections-3-question": "Their extra question?",
            "sections-3-answer": "<p>Their extra answer.</p>",
            "sections-3-position": "4",
        }
    )
    assert errors(save(other, article, theirs)) == []
    added = QuestionSection.objects.get(question="Their extra question?")

    mine["kicker"] = "Analysis"
    refused = me.post(change_url(article), mine)
    assert "Added question “Their extra question?”" in errors(refused)[0]
    html = page(refused)
    assert row_of(html, "sections", added.pk) == "sections-3"

    assert errors(save(me, article, form_data(refused))) == []
    article.refresh_from_db()
    assert article.kicker == "Analysis"
    assert [s.question for s in sections(article)][-1] == "Their extra question?"


def test_a_question_deleted_by_the_colleague_leaves_the_form_naming_what_i_typed(two_open):
    article, (me, mine), (other, theirs) = two_open
    gone = sections(article)[1]
    theirs["sections-1-DELETE"] = "on"
    assert errors(save(other, article, theirs)) == []

    mine["sections-1-answer"] = "<p>My answer to a deleted question.</p>"
    mine["sections-2-answer"] = "<p>My answer to the third.</p>"
    refused = me.post(change_url(article), mine)
    assert refused.status_code == 200
    problems = errors(refused)
    assert not any("Select a valid choice" in p for p in problems)
    assert "Deleted question “Question number 2?”" in problems[0]
    assert any(
        "Col League deleted the question “Question number 2?”" in p
        and "My answer to a deleted question." in p
        for p in problems[1:]
    )
    html = page(refused)
    assert row_of(html, "sections", gone.pk) is None
    assert "My answer to the third." in html.select_one('[name="sections-1-answer"]').text

    assert errors(save(me, article, form_data(refused))) == []
    assert [s.question for s in sections(article)] == ["Question number 1?", "Question number 3?"]
    assert sections(article)[1].answer == "<p>My answer to the third.</p>"


def test_a_new_question_typed_while_the_colleague_added_one_gets_its_own_place(two_open):
    article, (me, mine), (other, theirs) = two_open
    theirs.update(
        {
            "sections-TOTAL_FORMS": "4",
            "sections-3-question": "Theirs?",
            "sections-3-answer": "<p>Their answer.</p>",
            "sections-3-position": "4",
        }
    )
    assert errors(save(other, article, theirs)) == []
    mine.update(
        {
            "sections-TOTAL_FORMS": "4",
            "sections-3-question": "Mine?",
            "sections-3-answer": "<p>My answer.</p>",
            "sections-3-position": "4",
        }
    )
    refused = me.post(change_url(article), mine)
    assert refused.status_code == 200
    assert "Added question “Theirs?”" in errors(refused)[0]
    # Both put a fourth question at position 4: the editor's goes after the colleague's.
    assert errors(save(me, article, form_data(refused))) == []
    assert [s.question for s in sections(article)][-2:] == ["Theirs?", "Mine?"]


def test_a_quote_changed_by_the_colleague_reaches_my_form(two_open):
    article, (me, mine), (other, theirs) = two_open
    theirs["quotes-0-text"] = "Their corrected words."
    theirs["bylines-0-position"] = "3"
    assert errors(save(other, article, theirs)) == []
    mine["lead"] = "<p>My lead.</p>"
    refused = me.post(change_url(article), mine)
    assert "Quote “Their corrected words.” (text)" in errors(refused)[0]
    assert errors(save(me, article, form_data(refused))) == []
    article.refresh_from_db()
    assert article.lead == "<p>My lead.</p>"
    assert article.quotes.filter(text="Their corrected words.").exists()
    assert article.bylines.get().position == 3


def test_a_current_save_is_not_merged(two_open):
    article, (me, mine), _ = two_open
    mine["dek"] = "Just mine."
    assert errors(save(me, article, mine)) == []
    assert Article.objects.get().dek == "Just mine."


def test_an_answer_both_changed_is_marked_on_that_answer(two_open):
    article, (me, mine), (other, theirs) = two_open
    theirs["sections-2-answer"] = "<p>Their answer.</p>"
    assert errors(save(other, article, theirs)) == []
    mine["sections-2-answer"] = "<p>My answer.</p>"
    refused = me.post(change_url(article), mine)
    html = page(refused)
    marked = html.select("#sections-2 .field-answer .errorlist li")
    assert len(marked) == 1
    assert "Col League changed this to “Their answer.”" in marked[0].text
    assert "My answer." in html.select_one('[name="sections-2-answer"]').text
    assert "Where you both changed the same field" in errors(refused)[0]
    assert errors(save(me, article, form_data(refused))) == []
    assert sections(article)[2].answer == "<p>My answer.</p>"


def test_a_revision_with_no_tags_does_not_record_them_so_a_difference_is_marked(two_open):
    """Before tags were followed a revision held none: “no tags” and “not recorded” look alike."""
    article, (me, mine), (other, theirs) = two_open
    theirs["tags"] = "Belarus"
    assert errors(save(other, article, theirs)) == []
    mine["dek"] = "My summary."
    refused = me.post(change_url(article), mine)
    marked = [li.text for li in page(refused).select(".field-tags .errorlist li")]
    assert len(marked) == 1 and "The saved article has “Belarus” here" in marked[0]
    assert "Tags" not in errors(refused)[0]


@pytest.fixture
def tagged_open(client, editor, colleague):
    """Like two_open, for an article tagged “Russia” in the revision both opened."""
    with reversion.create_revision():
        article = make_article(sections=1)
        article.tags.add("Russia")
    client.force_login(editor)
    other = Client()
    other.force_login(colleague)
    mine = form_data(client.get(change_url(article)))
    theirs = form_data(other.get(change_url(article)))
    return article, (client, mine), (other, theirs)


def tags(article):
    return sorted(article.tags.names())


def test_a_tag_added_by_the_colleague_reaches_my_form_and_is_kept_with_my_summary(tagged_open):
    article, (me, mine), (other, theirs) = tagged_open
    assert mine["tags"] == "Russia"
    theirs["tags"] = "Russia, Belarus"
    assert errors(save(other, article, theirs)) == []

    mine["dek"] = "My summary."
    refused = me.post(change_url(article), mine)
    assert "They changed: Tags." in errors(refused)[0]
    html = page(refused)
    assert html.select_one('input[name="tags"]')["value"] == "Belarus, Russia"
    assert html.select(".field-tags .errorlist li") == []

    assert errors(save(me, article, form_data(refused))) == []
    article.refresh_from_db()
    assert tags(article) == ["Belarus", "Russia"]
    assert article.dek == "My summary."


def test_tags_only_i_changed_are_kept_with_the_colleagues_summary(tagged_open):
    article, (me, mine), (other, theirs) = tagged_open
    theirs["dek"] = "Their summary."
    assert errors(save(other, article, theirs)) == []

    mine["tags"] = "Ukraine"
    refused = me.post(change_url(article), mine)
    html = page(refused)
    assert html.select_one('input[name="tags"]')["value"] == "Ukraine"
    assert html.select(".field-tags .errorlist li") == []
    assert errors(save(me, article, form_data(refused))) == []
    article.refresh_from_db()
    assert tags(article) == ["Ukraine"] and article.dek == "Their summary."


def test_tags_both_changed_are_marked_on_the_tags_with_the_colleagues(tagged_open):
    article, (me, mine), (other, theirs) = tagged_open
    theirs["tags"] = "Belarus"
    assert errors(save(other, article, theirs)) == []

    mine["tags"] = "Ukraine"
    refused = me.post(change_url(article), mine)
    html = page(refused)
    marked = [li.text for li in html.select(".field-tags .errorlist li")]
    assert len(marked) == 1 and "Col League changed this to “Belarus”" in marked[0]
    assert html.select_one('input[name="tags"]')["value"] == "Ukraine"
    assert tags(Article.objects.get()) == ["Belarus"]


def test_a_quote_in_a_new_question_follows_it_when_the_rows_are_renumbered(two_open):
    article, (me, mine), (other, theirs) = two_open
    theirs["sections-1-DELETE"] = "on"
    assert errors(save(other, article, theirs)) == []
    mine.update(
        {
            "sections-TOTAL_FORMS": "4",
            "sections-3-question": "My new question?",
            "sections-3-answer": "<p>My new answer.</p>",
            "quotes-0-section": "new-sections-3",
        }
    )
    refused = me.post(change_url(article), mine)
    html = page(refused)
    assert html.select_one('[name="sections-2-question"]')["value"] == "My new question?"
    chosen = html.select_one('[name="quotes-0-section"]')["data-new-section"]
    assert chosen == "new-sections-2"
    again = form_data(refused)
    again["quotes-0-section"] = chosen  # the page's script offers the typed question again
    assert errors(save(me, article, again)) == []
    new = QuestionSection.objects.get(question="My new question?")
    assert new.quotes.count() == 1


def test_questions_reordered_by_both_keep_my_order(two_open):
    article, (me, mine), (other, theirs) = two_open
    first, second, third = sections(article)
    theirs.update({"sections-0-position": "2", "sections-1-position": "3"})
    theirs["sections-2-position"] = "1"
    assert errors(save(other, article, theirs)) == []
    mine.update({"sections-0-position": "2", "sections-1-position": "1"})
    refused = me.post(change_url(article), mine)
    assert "The order of the questions (your order is kept)" in errors(refused)[0]
    assert errors(save(me, article, form_data(refused))) == []
    assert [s.pk for s in sections(article)] == [second.pk, first.pk, third.pk]


def test_my_order_and_a_question_the_colleague_put_at_the_top_get_their_own_places(two_open):
    article, (me, mine), (other, theirs) = two_open
    first, second, third = sections(article)
    # The colleague adds a question and moves it to the top.
    theirs.update(
        {
            "sections-TOTAL_FORMS": "4",
            "sections-0-position": "2",
            "sections-1-position": "3",
            "sections-2-position": "4",
            "sections-3-question": "Their top question?",
            "sections-3-answer": "<p>Their answer.</p>",
            "sections-3-position": "1",
        }
    )
    assert errors(save(other, article, theirs)) == []
    added = QuestionSection.objects.get(question="Their top question?")
    # I move the second question to the top.
    mine.update({"sections-0-position": "2", "sections-1-position": "1"})
    refused = me.post(change_url(article), mine)
    assert "Added question “Their top question?”" in errors(refused)[0]

    assert errors(save(me, article, form_data(refused))) == []
    ordered = sections(article)
    assert [s.pk for s in ordered] == [second.pk, added.pk, first.pk, third.pk]
    assert [s.position for s in ordered] == [1, 2, 3, 4]
