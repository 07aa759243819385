"""The smaller points from the editors' first day in the admin: what the messages and the history
say after a workflow step, the publish checklist, the date of a new correction, the schedule
page's time zone, the article list's filters, the tag app's name, and one address per article
and per month on the reader site."""

import datetime
from unittest import mock

import pytest
import reversion
from bs4 import BeautifulSoup
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from explainers.models import Article, Author, Byline, UpdateNote
from tests.conftest import make_article, make_photo
from tests.test_admin import change_url, errors, form_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:explainers_article_changelist")


def html(response):
    return BeautifulSoup(response.content, "html.parser")


def shown_messages(response):
    return [li.text.strip() for li in html(response).select("ul.messagelist li")]


def history(article):
    """What the log and the revision list say of the article's last change."""
    entry = LogEntry.objects.filter(object_id=str(article.pk)).order_by("-pk").first()
    comment = Version.objects.get_for_object(article).first().revision.get_comment()
    return entry.get_change_message(), comment


def own_draft(user, **overrides):
    return make_article(status=Article.Status.DRAFT, created_by=user, **overrides)


# 1. What happened, in words.


def test_a_reporter_submitting_on_the_form_is_told_so_and_the_history_says_so(
    reporter_client, reporter
):
    article = own_draft(reporter, headline="The draft")
    data = form_data(reporter_client.get(change_url(article)))
    data["status"] = "review"
    response = reporter_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    assert shown_messages(response) == ["Submitted “The draft” for review."]
    assert history(article) == ("Submitted for review.", "Submitted for review.")


def test_other_changes_saved_with_the_step_keep_djangos_words(reporter_client, reporter):
    article = own_draft(reporter, headline="The draft")
    data = form_data(reporter_client.get(change_url(article)))
    data.update({"status": "review", "dek": "A new summary."})
    reporter_client.post(change_url(article), data)
    message, _ = history(article)
    assert message.startswith("Submitted for review. Changed ")
    assert "Status" not in message and "summary" in message.lower()


def test_an_ordinary_edit_keeps_djangos_message(editor_client):
    article = make_article(headline="Live one")
    data = form_data(editor_client.get(change_url(article)))
    data["dek"] = "A new summary."
    response = editor_client.post(change_url(article), data, follow=True)
    assert "was changed successfully" in shown_messages(response)[0]
    assert history(article)[0].startswith("Changed ")


def test_an_editor_scheduling_on_the_form_is_told_when_it_goes_out(settings, editor_client):
    settings.TIME_ZONE = "Europe/Minsk"
    article = make_article(headline="Soon", status="review", published_at=None)
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    data = form_data(editor_client.get(change_url(article)))
    data.update(
        {
            "status": "published",
            "published_at_0": when.strftime("%Y-%m-%d"),
            "published_at_1": "09:30:00",
        }
    )
    response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    stamp = f"{when:%B} {when.day}, {when.year}, 09:30 Europe/Minsk"
    assert shown_messages(response) == [f"Scheduled “Soon” to go out on {stamp}."]
    assert history(article) == (f"Scheduled for {stamp}.", f"Scheduled for {stamp}.")


def test_a_scheduled_article_saved_untouched_is_not_scheduled_again(editor_client):
    when = timezone.now() + datetime.timedelta(days=2)
    article = make_article(headline="Soon", published_at=when.replace(microsecond=123456))
    data = form_data(editor_client.get(change_url(article)))
    response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    said = shown_messages(response)
    assert "was changed successfully" in said[0] and "Scheduled" not in said[0]
    assert not history(article)[0].startswith("Scheduled for")


def test_an_editor_publishing_on_the_form_is_told_published(editor_client):
    article = make_article(headline="Ready", status="review")
    data = form_data(editor_client.get(change_url(article)))
    data["status"] = "published"
    response = editor_client.post(change_url(article), data, follow=True)
    assert shown_messages(response) == ["Published “Ready”."]
    assert history(article)[0] == "Published."


def test_restoring_a_revision_says_which_it_restored(editor_client, editor):
    article = make_article(headline="Old headline")
    with reversion.create_revision():
        article.save()
    earlier = Version.objects.get_for_object(article).first()
    article.headline = "New headline"
    with reversion.create_revision():
        article.save()
    url = reverse("admin:explainers_article_revision", args=[article.pk, earlier.pk])
    response = editor_client.post(url, form_data(editor_client.get(url)), follow=True)
    [message] = shown_messages(response)
    assert message.startswith("Restored the revision of ") and "changed successfully" not in message
    entry = LogEntry.objects.filter(object_id=str(article.pk)).order_by("-pk").first()
    assert entry.get_change_message() == message
    article.refresh_from_db()
    assert article.headline == "Old headline"


def test_list_actions_use_the_same_words(editor_client):
    one = make_article(slug="one", headline="One", status="review")
    two = make_article(slug="two", headline="Two", status="review")
    response = editor_client.post(
        CHANGELIST, {"action": "publish_now", "_selected_action": [one.pk]}, follow=True
    )
    assert shown_messages(response) == ["Published “One”."]
    response = editor_client.post(
        CHANGELIST,
        {"action": "send_back_to_draft", "_selected_action": [one.pk, two.pk]},
        follow=True,
    )
    assert shown_messages(response) == ["Sent 2 articles back to draft."]


# 2. The publish checklist.


def checklist(client, article):
    section = html(client.get(change_url(article))).select_one(".newsroom-checklist")
    items = {li.contents[2].strip(): li for li in section.select(":scope > ul > li")}
    return section.h2.text, items


def test_a_reporter_is_not_asked_to_set_the_date_she_cannot_set(reporter_client, reporter):
    article = own_draft(reporter, published_at=None)
    heading, items = checklist(reporter_client, article)
    assert (
        "Set a publication date." not in reporter_client.get(change_url(article)).content.decode()
    )
    date = items["Publication date, set on publishing"]
    assert date.select_one(".check-state").text == "By the editor:"
    assert heading == "Ready to publish"


def test_an_editor_is_still_asked_for_the_date(editor_client):
    article = make_article(status="draft", published_at=None)
    heading, items = checklist(editor_client, article)
    assert "Set a publication date." in items["Publication date"].text
    assert heading == "Before this can be published"


def test_a_live_or_scheduled_article_says_so_rather_than_ready(settings, editor_client):
    settings.TIME_ZONE = "UTC"
    live = make_article(slug="live", published_at=timezone.now() - datetime.timedelta(days=1))
    soon = make_article(slug="soon", published_at=timezone.now() + datetime.timedelta(days=1))
    live_heading, _ = checklist(editor_client, live)
    soon_heading, _ = checklist(editor_client, soon)
    day = timezone.localtime(live.published_at)
    assert live_heading.startswith(f"Published: live since {day:%B} {day.day}, {day.year}")
    assert live_heading.endswith(" UTC")
    assert soon_heading.startswith("Scheduled for ") and "Ready" not in soon_heading


def test_no_hero_photo_is_not_called_done(editor_client):
    bare = make_article(slug="bare", status="draft")
    _, items = checklist(editor_client, bare)
    assert "Hero photo alt text and credit" not in items
    assert items["No hero photo"].select_one(".check-state").text == "Optional:"
    assert "check-done" not in items["No hero photo"]["class"]
    with_photo = make_article(slug="photo", status="draft", hero_photo=make_photo())
    _, items = checklist(editor_client, with_photo)
    assert items["Hero photo alt text and credit"]["class"] == ["check-done"]


# 3. A new correction is dated when it is saved.


def with_new_note(response, text):
    """The form as the browser sends it after "Add another correction or update": the empty
    row as the page carried it (its date the moment the page was made), filled in."""
    data = form_data(response)
    template = html(response).select_one("#notes-empty")
    for field in template.select("input[name], select[name], textarea[name]"):
        name = field["name"].replace("__prefix__", "0")
        if field.name == "select":
            chosen = field.select_one("option[selected]")
            data[name] = chosen["value"] if chosen else ""
        elif field.name == "textarea":
            data[name] = field.text
        else:
            data[name] = field.get("value", "")
    data["notes-0-text"] = text
    data["notes-TOTAL_FORMS"] = "1"
    return data


def test_a_correction_left_at_its_default_time_is_dated_when_saved(editor_client):
    article = make_article()
    opened = timezone.now()
    data = with_new_note(editor_client.get(change_url(article)), "We corrected a figure.")
    saved = opened + datetime.timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=saved):
        response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    note = UpdateNote.objects.get(article=article)
    assert note.noted_at == saved


def test_a_correction_given_its_own_time_keeps_it(editor_client):
    article = make_article()
    data = with_new_note(editor_client.get(change_url(article)), "We corrected a figure.")
    data.update({"notes-0-noted_at_0": "2026-01-02", "notes-0-noted_at_1": "08:15:00"})
    editor_client.post(change_url(article), data)
    note = UpdateNote.objects.get(article=article)
    assert timezone.localtime(note.noted_at).strftime("%Y-%m-%d %H:%M") == "2026-01-02 08:15"


# 4. The schedule page names its time zone.


@pytest.mark.parametrize(
    "zone, said",
    [("Europe/Minsk", "Times are in Europe/Minsk (UTC+3)."), ("UTC", "Times are in UTC.")],
)
def test_the_schedule_page_says_which_time_zone(settings, editor_client, zone, said):
    settings.TIME_ZONE = zone
    article = make_article(status="review", published_at=None)
    response = editor_client.post(
        CHANGELIST, {"action": "schedule", "_selected_action": [article.pk]}
    )
    assert said in html(response).select_one("form .form-row").text


# 5. The article list's filters name only what the user may see.


def test_a_reporters_filters_name_only_authors_and_tags_of_her_articles(client, reporter, editor):
    mine = own_draft(reporter, slug="mine")
    mine.tags.add("Belarus")
    theirs = make_article(slug="theirs", status="draft")
    theirs.tags.add("Secret plans")
    Byline.objects.filter(article=theirs).delete()
    Byline.objects.create(article=theirs, author=Author.objects.create(name="Ann Other", slug="a"))

    def choices(user):
        client.force_login(user)
        return html(client.get(CHANGELIST)).select_one("#changelist-filter").text

    page = choices(reporter)
    assert "Belarus" in page and "James Beardsworth" in page
    assert "Secret plans" not in page and "Ann Other" not in page
    page = choices(editor)
    assert "Secret plans" in page and "Ann Other" in page


# 6. The tag app is called Tags.


def test_the_tag_app_is_labelled_tags(editor_client):
    index = html(editor_client.get(reverse("admin:index")))
    captions = [c.text.strip() for c in index.select(".app-list caption, .module caption")]
    assert "Tags" in captions and "Taggit" not in captions
    tags = html(editor_client.get(reverse("admin:taggit_tag_changelist")))
    assert "Tags" in tags.select_one(".breadcrumbs").text
    assert "Taggit" not in tags.select_one(".breadcrumbs").text


# 7. One address per article and per month.


def test_an_article_answers_at_one_address_and_the_other_spelling_redirects(reader):
    article = make_article(published_at=datetime.datetime(2025, 1, 5, 12, tzinfo=datetime.UTC))
    canonical = article.get_absolute_url()
    assert canonical == "/2025/1/5/what-is-the-union-state/"
    for _ in range(2):  # the second time from the page cache, if anything was cached
        padded = reader.get("/2025/01/05/what-is-the-union-state/")
        assert padded.status_code == 301 and padded["Location"] == canonical
        assert reader.get(canonical).status_code == 200
    assert reader.get(canonical)["X-Cache"] == "HIT"
    assert reader.get("/2025/01/05/what-is-the-union-state/").status_code == 301


def test_a_month_answers_at_one_address(reader):
    make_article(published_at=datetime.datetime(2025, 1, 5, 12, tzinfo=datetime.UTC))
    canonical = reverse("explainers:month", kwargs={"year": 2025, "month": 1})
    assert canonical == "/archive/2025/1/"
    for _ in range(2):
        padded = reader.get("/archive/2025/01/?page=1")
        assert padded.status_code == 301 and padded["Location"] == canonical + "?page=1"
        assert reader.get(canonical).status_code == 200
