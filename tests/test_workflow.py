"""Roles, lifecycle, revisions, concurrent edits, previews and share links."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from explainers.models import Article, Author, Byline, QuestionSection, Quote, ShareLink
from tests.conftest import make_article
from tests.test_admin import change_url, errors, form_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:explainers_article_changelist")
ADD_URL = reverse("admin:explainers_article_add")
NOW = timezone.now


def action(client, name, *articles, **extra):
    data = {"action": name, "_selected_action": [a.pk for a in articles], **extra}
    return client.post(CHANGELIST, data, follow=True)


def own_draft(user, **overrides):
    article = make_article(status="draft", **overrides)
    article.created_by = user
    article.save()
    return article


# Roles.


def test_setup_roles_creates_the_groups_and_a_rerun_changes_nothing(capsys):
    call_command("setup_roles")
    first = capsys.readouterr().out
    assert "Reporter: created" in first and "Editor: created" in first and "Admin: created" in first
    call_command("setup_roles")
    again = capsys.readouterr().out
    assert "Reporter: unchanged" in again and "Admin: unchanged" in again
    from django.contrib.auth.models import Group

    assert Group.objects.filter(name__in=["Reporter", "Editor", "Admin"]).count() == 3


def test_setup_roles_puts_back_a_permission_removed_by_hand(roles, capsys):
    from django.contrib.auth.models import Group

    editor_group = Group.objects.get(name="Editor")
    editor_group.permissions.remove(*editor_group.permissions.filter(codename="publish_article"))
    call_command("setup_roles")
    assert "Editor: updated" in capsys.readouterr().out
    assert editor_group.permissions.filter(codename="publish_article").exists()


def test_a_reporter_sees_only_their_own_articles(reporter_client, reporter, other_reporter):
    mine = own_draft(reporter, slug="mine", headline="Mine")
    bylined = make_article(slug="bylined", headline="Bylined", status="draft")
    rita = Author.objects.create(name="Rita Porter", slug="rita-porter", user=reporter)
    Byline.objects.create(article=bylined, author=rita, position=1)
    theirs = own_draft(other_reporter, slug="theirs", headline="Theirs")
    html = BeautifulSoup(reporter_client.get(CHANGELIST).content, "html.parser")
    assert sorted(a.text for a in html.select("#result_list tbody th a")) == ["Bylined", "Mine"]
    assert reporter_client.get(change_url(mine)).status_code == 200
    assert reporter_client.get(change_url(bylined)).status_code == 200
    # Another reporter's article does not exist as far as this reporter can tell.
    assert reporter_client.get(change_url(theirs)).status_code == 302


def test_a_reporter_writes_a_draft_and_submits_it(reporter_client, reporter):
    data = form_data(reporter_client.get(ADD_URL))
    data.update({"headline": "New draft", "slug": "new-draft", "status": "review"})
    response = reporter_client.post(ADD_URL, data, follow=True)
    assert errors(response) == []
    article = Article.objects.get()
    assert (article.status, article.created_by) == ("review", reporter)
    # Once in review it is the editors': the reporter can still read it, not change it.
    page = reporter_client.get(change_url(article))
    assert page.status_code == 200 and not BeautifulSoup(page.content, "html.parser").select_one(
        'input[name="headline"]'
    )


def test_a_reporter_cannot_publish_by_forged_post(reporter_client, reporter):
    article = own_draft(reporter)
    data = form_data(reporter_client.get(change_url(article)))
    assert [
        o["value"]
        for o in BeautifulSoup(
            reporter_client.get(change_url(article)).content, "html.parser"
        ).select('select[name="status"] option')
    ] == ["draft", "review"]
    data.update({"status": "published", "published_at_0": "2022-10-11", "published_at_1": "12:00"})
    response = reporter_client.post(change_url(article), data)
    assert any("Select a valid choice" in e for e in errors(response))
    article.refresh_from_db()
    assert article.status == "draft"


def test_a_reporter_cannot_set_the_publication_date_by_forged_post(reporter_client, reporter):
    article = own_draft(reporter, published_at=None)
    data = form_data(reporter_client.get(change_url(article)))
    data.update({"published_at_0": "2020-01-01", "published_at_1": "12:00", "dek": "Changed"})
    assert errors(reporter_client.post(change_url(article), data, follow=True)) == []
    article.refresh_from_db()
    assert article.dek == "Changed" and article.published_at is None


@pytest.mark.parametrize("name", ["publish_now", "unpublish", "send_back_to_draft", "schedule"])
def test_a_reporter_cannot_run_editor_actions_by_forged_post(reporter_client, reporter, name):
    article = own_draft(reporter)
    response = action(
        reporter_client, name, article, apply="1", publish_at_0="2030-01-01", publish_at_1="08:00"
    )
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.status == "draft"
    assert not LogEntry.objects.exists()


def test_a_reporter_cannot_edit_another_reporters_article_by_forged_post(
    reporter_client, other_reporter
):
    theirs = own_draft(other_reporter)
    response = reporter_client.post(change_url(theirs), {"headline": "Hijacked"})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.headline == "What is the Union State?"


def test_a_reporter_cannot_change_an_article_in_review_by_forged_post(reporter_client, reporter):
    article = own_draft(reporter)
    data = form_data(reporter_client.get(change_url(article)))
    Article.objects.filter(pk=article.pk).update(status="review")
    data["headline"] = "Changed after submission"
    assert reporter_client.post(change_url(article), data).status_code == 403
    article.refresh_from_db()
    assert article.headline == "What is the Union State?"


def test_a_reporter_cannot_delete(reporter_client, reporter):
    article = own_draft(reporter)
    delete_url = reverse("admin:explainers_article_delete", args=[article.pk])
    assert reporter_client.post(delete_url, {"post": "yes"}).status_code == 403
    response = action(reporter_client, "delete_selected", article, post="yes")
    assert response.status_code == 200
    assert Article.objects.filter(pk=article.pk).exists()


def test_a_reporter_cannot_make_share_links(reporter_client, reporter):
    article = own_draft(reporter)
    html = BeautifulSoup(reporter_client.get(change_url(article)).content, "html.parser")
    assert not html.select_one('[name="share_links-TOTAL_FORMS"]')
    data = form_data(reporter_client.get(change_url(article)))
    data.update(
        {
            "share_links-TOTAL_FORMS": "1",
            "share_links-INITIAL_FORMS": "0",
            "share_links-0-expires_at_0": "2030-01-01",
            "share_links-0-expires_at_1": "12:00",
        }
    )
    reporter_client.post(change_url(article), data, follow=True)
    assert not ShareLink.objects.exists()


def test_a_reporter_submits_their_drafts_with_the_list_action(reporter_client, reporter):
    article = own_draft(reporter)
    action(reporter_client, "submit_for_review", article)
    article.refresh_from_db()
    assert article.status == "review"


def test_an_admin_manages_users_and_authors_an_editor_does_not(client, editor, admin_user):
    users = reverse("admin:auth_user_changelist")
    authors_add = reverse("admin:explainers_author_add")
    client.force_login(editor)
    assert client.get(users).status_code == 403
    assert client.get(authors_add).status_code == 403
    client.force_login(admin_user)
    assert client.get(users).status_code == 200
    assert client.get(authors_add).status_code == 200


# Lifecycle.


def test_an_editor_publishes_now_and_it_is_logged_with_who_and_when(editor_client, editor):
    article = make_article(status="review", published_at=None)
    response = action(editor_client, "publish_now", article)
    assert "Published “What is the Union State?”." in response.content.decode()
    article.refresh_from_db()
    assert article.is_published()
    entry = LogEntry.objects.get(object_id=str(article.pk))
    assert entry.user == editor and entry.get_change_message() == "Published."
    assert Version.objects.get_for_object(article).first().revision.get_comment() == "Published."


def test_publish_now_refuses_an_incomplete_article_and_names_the_problem(editor_client):
    article = make_article(sections=0, status="review", published_at=None)
    response = action(editor_client, "publish_now", article)
    assert "was not published: Add at least one question section." in response.content.decode()
    article.refresh_from_db()
    assert article.status == "review"


def test_an_editor_schedules_and_the_article_appears_by_itself(client, editor_client):
    article = make_article(status="review", published_at=None)
    page = action(editor_client, "schedule", article)
    assert "Publish at" in page.content.decode()  # the intermediate page asks when
    when = timezone.localtime(NOW() + datetime.timedelta(hours=2))
    response = action(
        editor_client,
        "schedule",
        article,
        apply="1",
        publish_at_0=when.strftime("%Y-%m-%d"),
        publish_at_1=when.strftime("%H:%M:%S"),
    )
    assert "Scheduled “What is the Union State?” to go out on" in response.content.decode()
    article.refresh_from_db()
    assert article.status == "published" and not article.is_published()
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404
    assert article not in Article.objects.published()
    # Two hours later, with no command run:
    later = NOW() + datetime.timedelta(hours=2, minutes=1)
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=later):
        assert article in Article.objects.published()
        assert client.get(article.get_absolute_url()).status_code == 200


def test_scheduling_in_the_past_is_refused(editor_client):
    article = make_article(status="review", published_at=None)
    response = action(
        editor_client,
        "schedule",
        article,
        apply="1",
        publish_at_0="2020-01-01",
        publish_at_1="08:00",
    )
    assert "Choose a time in the future" in response.content.decode()
    article.refresh_from_db()
    assert article.status == "review"


def test_an_unpublished_article_is_gone_for_readers_and_kept(client, editor_client):
    article = make_article()
    action(editor_client, "unpublish", article)
    article.refresh_from_db()
    assert article.status == "unpublished"
    client.logout()
    response = client.get(article.get_absolute_url())
    assert response.status_code == 410
    assert "no longer available" in response.content.decode()
    assert Article.objects.filter(pk=article.pk).exists()


def test_send_back_to_draft(editor_client):
    article = make_article(status="review")
    action(editor_client, "send_back_to_draft", article)
    article.refresh_from_db()
    assert article.status == "draft"


# Nobody overwrites anybody.


def test_a_second_save_is_refused_and_keeps_the_second_editors_text(client, editor, roles):
    from tests.conftest import staff

    colleague = staff(type(editor), "colleague", "Editor", first_name="Col", last_name="League")
    article = make_article()
    client.force_login(editor)
    mine = form_data(client.get(change_url(article)))
    other = client.__class__()
    other.force_login(colleague)
    theirs = form_data(other.get(change_url(article)))

    theirs["headline"] = "Their headline"
    assert errors(other.post(change_url(article), theirs, follow=True)) == []

    mine["headline"] = "My headline"
    mine["sections-0-answer"] = "My carefully typed answer."
    response = client.post(change_url(article), mine)
    assert response.status_code == 200
    problems = errors(response)
    assert problems[0].startswith("Col League saved this article at ")
    assert "after you opened it" in problems[0]
    # The article had no revision when this editor opened it: every field where the two forms
    # differ is marked with the colleague's value (tests/test_merge.py has the three-way merge).
    assert len(problems) == 3
    assert any("“Their headline”" in p for p in problems[1:])
    html = BeautifulSoup(response.content, "html.parser")
    assert html.select_one('input[name="headline"]')["value"] == "My headline"
    assert (
        "My carefully typed answer." in html.select_one('textarea[name="sections-0-answer"]').text
    )
    article.refresh_from_db()
    assert article.headline == "Their headline"

    # Having seen the warning, saving again on purpose keeps this editor's version.
    again = form_data(response)
    assert errors(client.post(change_url(article), again, follow=True)) == []
    article.refresh_from_db()
    assert article.headline == "My headline"


def test_a_failed_save_leaves_the_previous_version_whole(editor_client, monkeypatch):
    article = make_article(sections=2)
    data = form_data(editor_client.get(change_url(article)))
    data.update({"headline": "Half-saved", "sections-1-question": "Boom?"})
    original_save = QuestionSection.save

    def failing_save(self, *args, **kwargs):
        if self.question == "Boom?":
            raise RuntimeError("disk full")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(QuestionSection, "save", failing_save)
    editor_client.raise_request_exception = False
    response = editor_client.post(change_url(article), data)
    assert response.status_code == 500
    article.refresh_from_db()
    assert article.headline == "What is the Union State?"
    assert [s.question for s in article.sections.all()] == [
        "Question number 1?",
        "Question number 2?",
    ]


# Revisions.


def save_via_admin(client, article, **changes):
    data = form_data(client.get(change_url(article)))
    data.update(changes)
    response = client.post(change_url(article), data, follow=True)
    assert errors(response) == []


def test_restoring_a_revision_brings_back_sections_and_quotes(editor_client):
    article = make_article(sections=2)
    save_via_admin(editor_client, article, headline="Version one")
    first = Version.objects.get_for_object(article).first()

    save_via_admin(
        editor_client,
        article,
        headline="Version two",
        **{
            "sections-0-question": "Rewritten question?",
            "sections-1-DELETE": "on",
            "quotes-0-text": "Rewritten quote",
            "sections-2-question": "Brand new question?",
            "sections-2-answer": "New answer.",
            "sections-2-position": "5",
        },
    )
    assert [s.question for s in article.sections.all()] == [
        "Rewritten question?",
        "Brand new question?",
    ]

    revision_url = reverse("admin:explainers_article_revision", args=[article.pk, first.pk])
    page = editor_client.get(revision_url)
    assert page.status_code == 200
    response = editor_client.post(revision_url, form_data(page), follow=True)
    assert errors(response) == []
    article.refresh_from_db()
    assert article.headline == "Version one"
    assert [s.question for s in article.sections.all()] == [
        "Question number 1?",
        "Question number 2?",
    ]
    assert sorted(Quote.objects.filter(article=article).values_list("text", flat=True)) == [
        "Words 1.0",
        "Words 2.0",
    ]
    newest = Version.objects.get_for_object(article).first()
    assert newest.pk != first.pk
    assert newest.revision.get_comment().startswith("Reverted to previous version")


def test_history_compares_two_revisions(editor_client):
    article = make_article()
    save_via_admin(editor_client, article, headline="Before")
    save_via_admin(editor_client, article, headline="After", **{"sections-0-answer": "New answer."})
    history = editor_client.get(reverse("admin:explainers_article_history", args=[article.pk]))
    html = BeautifulSoup(history.content, "html.parser")
    assert "Changed" in html.select_one("#change-history").text  # who/when/what changed
    newer, older = [o["value"] for o in html.select("#compare-b option")][:2]
    response = editor_client.get(
        reverse("admin:explainers_article_compare", args=[article.pk]), {"a": older, "b": newer}
    )
    comparison = BeautifulSoup(response.content, "html.parser").select_one("#comparison")
    text = comparison.get_text("")
    assert "RemovedHeadline: Before" in text and "AddedHeadline: After" in text
    assert "New answer." in text and "Answer 1." in text


def test_a_deleted_article_can_be_recovered_with_its_sections(editor_client):
    article = make_article(sections=3)
    save_via_admin(editor_client, article)
    delete_url = reverse("admin:explainers_article_delete", args=[article.pk])
    editor_client.post(delete_url, {"post": "yes"})
    assert not Article.objects.exists() and not QuestionSection.objects.exists()
    recover_list = editor_client.get(reverse("admin:explainers_article_recoverlist"))
    assert "What is the Union State?" in recover_list.content.decode()
    version = Version.objects.get_deleted(Article).first()
    recover_url = reverse("admin:explainers_article_recover", args=[version.pk])
    response = editor_client.post(
        recover_url, form_data(editor_client.get(recover_url)), follow=True
    )
    assert errors(response) == []
    restored = Article.objects.get()
    assert restored.sections.count() == 3 and restored.quotes.count() == 3


def test_reporters_cannot_recover_deleted_articles(reporter_client):
    assert reporter_client.get(reverse("admin:explainers_article_recoverlist")).status_code == 403


# Preview.


def test_preview_shows_unsaved_changes_and_saves_nothing(editor_client):
    article = make_article(status="draft")
    data = form_data(editor_client.get(change_url(article)))
    data.update({"headline": "Unsaved headline", "sections-0-question": "Unsaved question?"})
    response = editor_client.post(change_url(article) + "preview/", data)
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    assert html.h1.text == "Unsaved headline"
    assert html.select("section.question h2")[0].text == "Unsaved question?"
    assert "Preview of unsaved changes" in html.select_one(".preview-banner").text
    assert html.select_one('meta[name="robots"]')["content"] == "noindex"
    assert "no-cache" in response["Cache-Control"]
    form = BeautifulSoup(editor_client.get(change_url(article)).content, "html.parser")
    assert form.select_one('input[name="_preview"]')["formaction"] == "preview/"
    article.refresh_from_db()
    assert article.headline == "What is the Union State?"
    assert not Version.objects.exists()


def test_preview_of_a_new_article(editor_client):
    data = form_data(editor_client.get(ADD_URL))
    data.update(
        {
            "headline": "Brand new",
            "slug": "brand-new",
            "sections-0-question": "Why?",
            "sections-0-answer": "Because.",
        }
    )
    response = editor_client.post(ADD_URL + "preview/", data)
    assert BeautifulSoup(response.content, "html.parser").h1.text == "Brand new"
    assert not Article.objects.exists()


def test_preview_with_errors_lists_them(editor_client):
    article = make_article(status="draft")
    data = form_data(editor_client.get(change_url(article)))
    data["headline"] = ""
    response = editor_client.post(change_url(article) + "preview/", data)
    assert "This field is required." in response.content.decode()


def test_preview_respects_permissions(reporter_client, other_reporter):
    theirs = own_draft(other_reporter)
    response = reporter_client.post(change_url(theirs) + "preview/", {})
    assert response.status_code == 404


@pytest.mark.parametrize("status", ["draft", "review"])
def test_staff_preview_drafts_and_articles_in_review(editor_client, status):
    article = make_article(status=status)
    response = editor_client.get(article.get_absolute_url())
    banner = BeautifulSoup(response.content, "html.parser").select_one(".preview-banner").text
    assert "not public" in banner


# Share links.


def make_link(article, editor, **overrides):
    fields = {"expires_at": NOW() + datetime.timedelta(days=1), "created_by": editor}
    fields.update(overrides)
    return ShareLink.objects.create(article=article, **fields)


def test_an_editor_creates_a_share_link_from_the_article_page(editor_client, editor):
    article = make_article(status="draft")
    data = form_data(editor_client.get(change_url(article)))
    data.update(
        {
            "share_links-TOTAL_FORMS": "1",
            "share_links-0-expires_at_0": "2099-01-01",
            "share_links-0-expires_at_1": "12:00",
        }
    )
    assert errors(editor_client.post(change_url(article), data, follow=True)) == []
    link = ShareLink.objects.get()
    assert link.created_by == editor and link.is_active()


def test_a_share_link_shows_the_draft_read_only_without_a_login(client, editor):
    article = make_article(status="draft")
    link = make_link(article, editor)
    response = client.get(link.share_url())
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    assert html.h1.text == article.headline
    assert "Shared preview — not public" in html.select_one(".preview-banner").text
    assert html.select_one('meta[name="robots"]')["content"] == "noindex"
    assert response["X-Robots-Tag"] == "noindex"
    assert not html.select('form[method="post"]')  # read-only: nothing to submit


def test_an_expired_revoked_or_forged_share_link_stops_working(client, editor):
    article = make_article(status="draft")
    expired = make_link(article, editor, expires_at=NOW() - datetime.timedelta(minutes=1))
    revoked = make_link(article, editor, revoked=True)
    live = make_link(article, editor)
    for url in (expired.share_url(), revoked.share_url()):
        response = client.get(url)
        assert response.status_code == 404
        assert "does not work" in response.content.decode()
    forged = live.share_url().replace(f"/{live.pk}:", f"/{expired.pk + 1000}:")
    assert client.get(forged).status_code == 404
    assert client.get("/shared/not-a-token/").status_code == 404
    live.revoked = True
    live.save()
    assert client.get(live.share_url()).status_code == 404


# The whole matrix: every role against every action, done as a forged POST where it is refused.


def do_publish_now(client, article):
    action(client, "publish_now", article)
    article.refresh_from_db()
    return article.status == "published"


def do_schedule(client, article):
    when = timezone.localtime(NOW() + datetime.timedelta(days=1))
    action(
        client,
        "schedule",
        article,
        apply="1",
        publish_at_0=when.strftime("%Y-%m-%d"),
        publish_at_1=when.strftime("%H:%M:%S"),
    )
    article.refresh_from_db()
    return article.status == "published"


def do_publish_by_form(client, article):
    data = form_data(client.get(change_url(article)))
    data.update({"status": "published", "published_at_0": "2022-10-11", "published_at_1": "12:00"})
    client.post(change_url(article), data)
    article.refresh_from_db()
    return article.status == "published"


def do_unpublish(client, article):
    Article.objects.filter(pk=article.pk).update(status="published", published_at=NOW())
    action(client, "unpublish", article)
    article.refresh_from_db()
    return article.status == "unpublished"


def do_send_back(client, article):
    Article.objects.filter(pk=article.pk).update(status="review")
    action(client, "send_back_to_draft", article)
    article.refresh_from_db()
    return article.status == "draft"


def do_delete(client, article):
    client.post(reverse("admin:explainers_article_delete", args=[article.pk]), {"post": "yes"})
    return not Article.objects.filter(pk=article.pk).exists()


def do_edit_someone_elses(client, article):
    Article.objects.filter(pk=article.pk).update(created_by=None)
    page = client.get(change_url(article))
    data = form_data(page) if page.status_code == 200 else {}
    data["headline"] = "Edited"
    client.post(change_url(article), data)
    article.refresh_from_db()
    return article.headline == "Edited"


def do_edit_own_draft(client, article):
    data = form_data(client.get(change_url(article)))
    data["headline"] = "Edited"
    client.post(change_url(article), data)
    article.refresh_from_db()
    return article.headline == "Edited"


def do_share(client, article):
    data = form_data(client.get(change_url(article)))
    data.update(
        {
            "share_links-TOTAL_FORMS": "1",
            "share_links-INITIAL_FORMS": "0",
            "share_links-0-expires_at_0": "2099-01-01",
            "share_links-0-expires_at_1": "12:00",
        }
    )
    client.post(change_url(article), data)
    return ShareLink.objects.filter(article=article).exists()


def do_add_author(client, article):
    client.post(reverse("admin:explainers_author_add"), {"name": "Guest", "slug": "guest"})
    return Author.objects.filter(slug="guest").exists()


def do_add_user(client, article):
    client.post(
        reverse("admin:auth_user_add"),
        {"username": "newbie", "password1": "a-Long-pass-42", "password2": "a-Long-pass-42"},
    )
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username="newbie").exists()


MATRIX = {
    # action: (reporter, editor, admin)
    do_edit_own_draft: (True, True, True),
    do_edit_someone_elses: (False, True, True),
    do_publish_by_form: (False, True, True),
    do_publish_now: (False, True, True),
    do_schedule: (False, True, True),
    do_unpublish: (False, True, True),
    do_send_back: (False, True, True),
    do_delete: (False, True, True),
    do_share: (False, True, True),
    do_add_author: (False, False, True),
    do_add_user: (False, False, True),
}


@pytest.mark.parametrize("role_index, role", enumerate(["reporter", "editor", "admin_user"]))
@pytest.mark.parametrize("do", MATRIX, ids=lambda do: do.__name__.removeprefix("do_"))
def test_permission_matrix(client, request, role_index, role, do):
    user = request.getfixturevalue(role)
    client.force_login(user)
    article = own_draft(user, published_at=None)
    assert do(client, article) is MATRIX[do][role_index]
