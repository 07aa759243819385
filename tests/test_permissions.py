"""
The permission matrix: each role against each way into an article, in each of its states,
through the real URLs, judged by what the user would notice: the status code, whether the
database changed, whether a headline they may not see reached the page.

The rules are explainers.workflow's docstring and `manage.py setup_roles`; the tables below state
them once, in this file's terms. Forged POSTs are built from the real forms, read by someone who
may open them (an editor, or the Admin for the shared records), then sent by the role under test.
"""

import datetime

import pytest
import reversion
from bs4 import BeautifulSoup
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.forms import CheckboxInput, MultiWidget
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version
from taggit.models import Tag

from explainers.models import Article, Author, Byline, Quote, Source, Speaker
from photos.models import Photo
from tests.conftest import make_article, make_photo
from tests.test_admin import change_url, errors, form_data

pytestmark = pytest.mark.django_db

HEADLINE = "Who pays for the Danube bridge?"
OLD_HEADLINE = "An earlier headline kept in the history"
CHANGELIST = reverse("admin:explainers_article_changelist")
IMPORT_URL = reverse("admin:explainers_article_import")
LOGIN = reverse("admin:login")

# Who is looking: a reporter at their own article, a reporter at a colleague's
# (created_by=other_reporter), an editor (at a reporter's article), or nobody logged in.
ROLES = ("anonymous", "reporter-own", "reporter-colleague", "editor")
STATES = ("draft", "review", "scheduled", "published", "unpublished")
EVERY = frozenset(STATES)
NONE = frozenset()


def state_fields(state):
    now = timezone.now()
    return {
        "draft": {"status": "draft"},
        "review": {"status": "review"},
        "scheduled": {"status": "published", "published_at": now + datetime.timedelta(days=2)},
        "published": {"status": "published", "published_at": now - datetime.timedelta(days=1)},
        "unpublished": {"status": "unpublished"},
    }[state]


# The rules, as the states of the article in which each role may...
READS = {  # ...read it on the site (its address and /preview/<pk>/)
    "anonymous": {"published"},
    "reporter-own": EVERY,
    "reporter-colleague": {"published"},
    "editor": EVERY,
}
OPENS = {  # ...open it in the admin: its change page, history and comparison
    "anonymous": NONE,
    "reporter-own": EVERY,
    "reporter-colleague": NONE,  # published colleagues' work is read on the site
    "editor": EVERY,
}
EDITS = {  # ...change it: save its form, preview unsaved changes, restore a revision
    "anonymous": NONE,
    "reporter-own": {"draft"},  # once submitted, the editors have it
    "reporter-colleague": NONE,
    "editor": EVERY,
}

# The list actions: who may run each, and the state it leaves an article in (absent: unchanged).
ACTIONS = {
    "publish_now": ({"editor"}, dict.fromkeys(STATES, "published")),
    "schedule": ({"editor"}, dict.fromkeys(STATES, "scheduled")),
    "unpublish": ({"editor"}, {"scheduled": "unpublished", "published": "unpublished"}),
    "send_back_to_draft": ({"editor"}, dict.fromkeys(set(STATES) - {"draft"}, "draft")),
    "submit_for_review": ({"editor", "reporter-own"}, {"draft": "review"}),
    "delete_selected": ({"editor"}, dict.fromkeys(STATES, "deleted")),
}


# Helpers.


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Every test makes three or four people: hashing their passwords properly would take most
    of the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ROLE_PERMISSIONS = {}


@pytest.fixture
def roles(db):
    """conftest's `roles`, quicker: `setup_roles` runs for the first test, and the others get
    the groups it made (the same permissions) without its hundred look-ups."""
    if not ROLE_PERMISSIONS:
        call_command("setup_roles", verbosity=0)
        for group in Group.objects.all():
            ROLE_PERMISSIONS[group.name] = list(group.permissions.values_list("pk", flat=True))
    else:
        for name, permissions in ROLE_PERMISSIONS.items():
            Group.objects.create(name=name).permissions.set(permissions)


@pytest.fixture
def matrix(client, reporter, other_reporter, editor):
    """`matrix(role, state)`: the client logged in as `role`, and an article in `state`."""

    def make(role, state, **overrides):
        owner = reporter if role == "reporter-own" else other_reporter
        fields = {"headline": HEADLINE, "slug": "danube-bridge", "created_by": owner}
        article = make_article(**{**fields, **state_fields(state), **overrides})
        if role != "anonymous":
            client.force_login(editor if role == "editor" else reporter)
        return client, article

    return make


@pytest.fixture
def desk(editor):
    """A second browser, an editor's, that reads the forms a forged POST is built from."""
    browser = Client()
    browser.force_login(editor)
    return browser


def state_of(article):
    article = Article.objects.filter(pk=article.pk).first()
    if article is None:
        return "deleted"
    if article.status == "published" and not article.is_published():
        return "scheduled"
    return article.status


def add_revisions(article):
    """Two revisions: an earlier one with OLD_HEADLINE, then the article as it is. Returns the
    earlier one's version."""
    headline = article.headline
    with reversion.create_revision():
        article.headline = OLD_HEADLINE
        article.save()
    with reversion.create_revision():
        article.headline = headline
        article.save()
    return Version.objects.get_for_object(article).order_by("pk").first()


def revision_url(article, version):
    return reverse("admin:explainers_article_revision", args=[article.pk, version.pk])


def assert_refused(response, role, not_found=404):
    """Nobody logged in is sent to the login page; an article the reporter may not open is not
    found (`not_found`: the change page redirects, as for a deleted one); one they may open but
    not do this to is forbidden."""
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
    elif role == "reporter-colleague":
        assert response.status_code == not_found
    else:
        assert response.status_code == 403


def assert_hidden(response, *texts):
    body = response.content.decode()
    for text in texts:
        assert text not in body


def form_fields(form):
    """The values a browser would send for a Django form as it is first shown."""
    data = {}
    for bound in form:
        value, name = bound.value(), bound.html_name
        widget = getattr(bound.field.widget, "widget", bound.field.widget)  # the admin's wrapper
        if isinstance(widget, MultiWidget):
            values = value if isinstance(value, list | tuple) else widget.decompress(value)
            for suffix, part, v in zip(widget.widgets_names, widget.widgets, values, strict=True):
                data[name + suffix] = part.format_value(v) or ""
        elif getattr(widget, "allow_multiple_selected", False):
            data[name] = [str(v) for v in value or ()]
        elif isinstance(widget, CheckboxInput):
            if widget.check_test(value):
                data[name] = "on"
        else:
            shown = widget.format_value(value)
            data[name] = (shown[0] if shown else "") if isinstance(shown, list) else shown or ""
    return data


def change_form_data(article, user):
    """What the article's change page sends when `user` saves it untouched: the admin's own form
    and the management data of every inline it shows them, its existing rows included (the same
    fields as test_admin.form_data reads from the page, without rendering it)."""
    request = RequestFactory().get(change_url(article))
    request.user = user
    model_admin = admin.site.get_model_admin(Article)
    data = form_fields(model_admin.get_form(request, article, change=True)(instance=article))
    for formset_class, inline in model_admin.get_formsets_with_inlines(request, article):
        prefix = formset_class.get_default_prefix()
        formset = formset_class(**model_admin.get_formset_kwargs(request, article, inline, prefix))
        data.update(form_fields(formset.management_form))
        for form in formset.initial_forms:
            data.update(form_fields(form))
        data[f"{prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
    return data


every_state = pytest.mark.parametrize("state", STATES)
every_role = pytest.mark.parametrize("role", ROLES)


# Reading on the site.


@every_state
@every_role
def test_the_articles_address_shows_it_only_to_those_who_may_read_it(matrix, role, state):
    client, article = matrix(role, state)
    response = client.get(article.get_absolute_url())
    if state in READS[role]:
        assert response.status_code == 200
        assert HEADLINE in response.content.decode()
    else:
        assert response.status_code == (410 if state == "unpublished" else 404)
        assert_hidden(response, HEADLINE)


@every_state
@every_role
def test_the_preview_address_shows_it_only_to_those_who_may_read_it(matrix, role, state):
    client, article = matrix(role, state)
    response = client.get(reverse("explainers:preview", args=[article.pk]))
    if state not in READS[role]:
        assert response.status_code == 404
        assert_hidden(response, HEADLINE)
    elif state == "published":
        assert response.status_code == 301
        assert response["Location"] == article.get_absolute_url()
    else:
        assert response.status_code == 200
        assert HEADLINE in response.content.decode()


# The change page.


@every_state
@every_role
def test_the_change_page_opens_only_for_those_who_may_open_the_article(matrix, role, state):
    client, article = matrix(role, state)
    response = client.get(change_url(article))
    if state in OPENS[role]:
        assert response.status_code == 200
        html = BeautifulSoup(response.content, "html.parser")
        assert HEADLINE in html.text
        # Editable only by those who may change it; read-only for the others.
        assert bool(html.select_one('input[name="headline"]')) == (state in EDITS[role])
    else:
        assert_refused(response, role, not_found=302)
        assert_hidden(client.get(change_url(article), follow=True), HEADLINE)


@every_state
@every_role
def test_a_forged_change_post_saves_only_for_those_who_may_edit(matrix, editor, role, state):
    client, article = matrix(role, state)
    data = change_form_data(article, editor)
    data["headline"] = "Forged headline"
    response = client.post(change_url(article), data)
    article.refresh_from_db()
    if state in EDITS[role]:
        assert response.status_code == 302, errors(response)
        assert article.headline == "Forged headline"
    else:
        assert_refused(response, role, not_found=302)
        if role == "reporter-colleague":  # nor is it named on the page they land on
            assert_hidden(client.get(response["Location"]), HEADLINE)
        assert article.headline == HEADLINE
    assert state_of(article) == state


# The status rule on the form.


@pytest.mark.parametrize(
    "status, allowed", [("review", True), ("published", False), ("unpublished", False)]
)
def test_a_reporter_moves_their_draft_to_review_but_cannot_publish_or_unpublish_it_by_forged_post(
    matrix, status, allowed
):
    client, article = matrix("reporter-own", "draft", published_at=None)
    data = form_data(client.get(change_url(article)))
    data.update({"status": status, "published_at_0": "2022-10-11", "published_at_1": "12:00"})
    response = client.post(change_url(article), data)
    article.refresh_from_db()
    if allowed:
        assert response.status_code == 302, errors(response)
        assert article.status == status
    else:
        assert response.status_code == 200 and errors(response)
        assert article.status == "draft"
    assert article.published_at is None


@pytest.mark.parametrize("status", ["published", "unpublished"])
def test_a_reporter_cannot_create_a_published_or_unpublished_article_by_forged_post(
    client, reporter, status
):
    client.force_login(reporter)
    add_url = reverse("admin:explainers_article_add")
    data = form_data(client.get(add_url))
    data.update({"headline": HEADLINE, "slug": "danube-bridge", "status": status})
    data.update({"published_at_0": "2022-10-11", "published_at_1": "12:00"})
    response = client.post(add_url, data)
    assert response.status_code == 200 and errors(response)
    assert not Article.objects.exists()


@pytest.mark.parametrize("published_at", [None, "2022-10-11 12:00"])
def test_a_reporter_cannot_change_the_publication_date_by_forged_post(matrix, published_at):
    when = published_at and timezone.make_aware(datetime.datetime.fromisoformat(published_at))
    client, article = matrix("reporter-own", "draft", published_at=when)
    page = client.get(change_url(article))
    assert not BeautifulSoup(page.content, "html.parser").select_one('[name="published_at_0"]')
    data = form_data(page)
    data.update({"dek": "Changed", "published_at_0": "2030-01-01", "published_at_1": "08:00"})
    assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.dek == "Changed" and article.published_at == when


def test_a_reporter_cannot_edit_their_article_once_submitted(matrix):
    client, article = matrix("reporter-own", "draft")
    data = form_data(client.get(change_url(article)))
    data["status"] = "review"
    assert client.post(change_url(article), data).status_code == 302
    page = client.get(change_url(article))
    assert not BeautifulSoup(page.content, "html.parser").select_one('input[name="headline"]')
    again = form_data(client.get(change_url(article)))  # what the read-only page sends
    for forged in (data, again):
        forged.update({"headline": "Changed after submission", "status": "draft"})
        assert client.post(change_url(article), forged).status_code == 403
    article.refresh_from_db()
    assert (article.headline, article.status) == (HEADLINE, "review")


# List actions.


def test_the_change_list_offers_each_role_only_its_actions(matrix, desk):
    client, _ = matrix("reporter-own", "draft")

    def offered(response):
        html = BeautifulSoup(response.content, "html.parser")
        return {o["value"] for o in html.select('select[name="action"] option') if o["value"]}

    assert offered(client.get(CHANGELIST)) == {"submit_for_review"}
    assert offered(desk.get(CHANGELIST)) == set(ACTIONS)


@every_state
@every_role
@pytest.mark.parametrize("name", ACTIONS)
def test_a_list_action_does_only_what_the_role_may(matrix, role, state, name):
    client, article = matrix(role, state)
    who, effect = ACTIONS[name]
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=3))
    data = {
        "action": name,
        "_selected_action": [article.pk],
        "apply": "1",  # the schedule form's answer
        "publish_at_0": when.strftime("%Y-%m-%d"),
        "publish_at_1": when.strftime("%H:%M:%S"),
        "post": "yes",  # delete_selected's confirmation
    }
    response = client.post(CHANGELIST, data, follow=True)
    assert state_of(article) == (effect.get(state, state) if role in who else state)
    if role == "anonymous":
        assert response.redirect_chain[0][0].startswith(LOGIN)
    else:
        assert response.status_code == 200
    if role == "reporter-colleague":
        assert_hidden(response, HEADLINE)


# History, comparison and restoring revisions.


@every_state
@every_role
def test_the_history_page_opens_only_for_those_who_may_open_the_article(matrix, role, state):
    client, article = matrix(role, state)
    add_revisions(article)
    response = client.get(reverse("admin:explainers_article_history", args=[article.pk]))
    if state in OPENS[role]:
        assert response.status_code == 200
        assert HEADLINE in response.content.decode()
    else:
        assert_refused(response, role)
        assert_hidden(response, HEADLINE, OLD_HEADLINE)


@every_state
@every_role
def test_the_comparison_of_revisions_opens_only_for_those_who_may_open_the_article(
    matrix, role, state
):
    client, article = matrix(role, state)
    add_revisions(article)
    response = client.get(reverse("admin:explainers_article_compare", args=[article.pk]))
    if state in OPENS[role]:
        assert response.status_code == 200
        comparison = BeautifulSoup(response.content, "html.parser").select_one("#comparison")
        assert OLD_HEADLINE in comparison.get_text("")
    else:
        assert_refused(response, role)
        assert_hidden(response, HEADLINE, OLD_HEADLINE)


@every_state
@every_role
def test_the_restore_page_opens_only_for_those_who_may_edit_the_article(matrix, role, state):
    client, article = matrix(role, state)
    earlier = add_revisions(article)
    response = client.get(revision_url(article, earlier))
    if state in EDITS[role]:
        assert response.status_code == 200
        assert form_data(response)["headline"] == OLD_HEADLINE
    else:
        assert_refused(response, role)
        assert_hidden(response, HEADLINE, OLD_HEADLINE)
    article.refresh_from_db()
    assert article.headline == HEADLINE  # a GET reverts nothing


@every_state
@every_role
def test_a_revision_is_restored_by_post_only_for_those_who_may_edit_the_article(
    matrix, editor, role, state
):
    client, article = matrix(role, state)
    earlier = add_revisions(article)
    # The restore page is the change form holding the earlier revision: only its headline differs.
    data = {**change_form_data(article, editor), "headline": OLD_HEADLINE}
    revisions = Version.objects.get_for_object(article).count()
    response = client.post(revision_url(article, earlier), data)
    article.refresh_from_db()
    if state in EDITS[role]:
        assert response.status_code == 302, errors(response)
        assert article.headline == OLD_HEADLINE
        assert Version.objects.get_for_object(article).count() == revisions + 1
    else:
        assert_refused(response, role)
        assert_hidden(response, HEADLINE, OLD_HEADLINE)
        assert article.headline == HEADLINE
        assert Version.objects.get_for_object(article).count() == revisions
    assert state_of(article) == state


def test_a_reporter_cannot_restore_a_revision_of_their_draft_from_when_it_was_in_review(
    matrix, desk
):
    client, article = matrix("reporter-own", "review")
    earlier = add_revisions(article)  # both revisions are in review
    article.status = "draft"  # sent back to draft by an editor
    with reversion.create_revision():
        article.save()
    data = form_data(desk.get(revision_url(article, earlier)))
    assert client.get(revision_url(article, earlier)).status_code == 403
    assert client.post(revision_url(article, earlier), data).status_code == 403
    article.refresh_from_db()
    assert (article.headline, article.status) == (HEADLINE, "draft")


def test_a_reporter_restoring_an_earlier_draft_keeps_the_publication_date_an_editor_set(
    matrix, desk
):
    client, article = matrix("reporter-own", "draft", published_at=None)
    with reversion.create_revision():
        article.headline = OLD_HEADLINE
        article.save()
    earlier = Version.objects.get_for_object(article).get()
    when = timezone.now() + datetime.timedelta(days=5)
    data = form_data(desk.get(change_url(article)))
    data.update({"headline": HEADLINE, "published_at_0": when.strftime("%Y-%m-%d")})
    data["published_at_1"] = when.strftime("%H:%M:%S")
    assert desk.post(change_url(article), data).status_code == 302  # an editor dates the draft
    article.refresh_from_db()
    dated = article.published_at
    assert dated is not None

    page = client.get(revision_url(article, earlier))
    assert page.status_code == 200  # an earlier draft of their own draft: theirs to restore
    client.post(revision_url(article, earlier), form_data(page))
    article.refresh_from_db()
    # Whatever else comes back, the date stays: it is read-only for reporters.
    assert article.published_at == dated


# Recovering deleted articles: an editor's decision.


def deleted(article):
    add_revisions(article)
    article.delete()
    return Version.objects.get_deleted(Article).get()


@every_role
def test_only_editors_see_the_list_of_deleted_articles(matrix, role):
    client, article = matrix(role, "draft")
    deleted(article)
    response = client.get(reverse("admin:explainers_article_recoverlist"))
    if role == "editor":
        assert response.status_code == 200
        assert HEADLINE in response.content.decode()
    else:
        assert_refused(response, role, not_found=403)
        assert_hidden(response, HEADLINE)


@every_role
def test_only_editors_recover_a_deleted_article(matrix, desk, role):
    client, article = matrix(role, "draft")
    pk = article.pk
    url = reverse("admin:explainers_article_recover", args=[deleted(article).pk])
    data = form_data(desk.get(url))
    page = client.get(url)
    response = client.post(url, data)
    recovered = Article.objects.filter(pk=pk).exists()
    if role == "editor":
        assert page.status_code == 200
        assert response.status_code == 302, errors(response)
        assert recovered
    else:
        for refusal in (page, response):
            assert_refused(refusal, role, not_found=403)
            assert_hidden(refusal, HEADLINE)
        assert not recovered


# The preview of unsaved changes.


@every_state
@every_role
def test_the_preview_of_unsaved_changes_renders_only_for_those_who_may_edit(
    matrix, editor, role, state
):
    client, article = matrix(role, state)
    data = change_form_data(article, editor)
    data["headline"] = "Unsaved headline"
    response = client.post(change_url(article) + "preview/", data)
    if state in EDITS[role]:
        assert response.status_code == 200
        assert "Unsaved headline" in response.content.decode()
    else:
        assert_refused(response, role)
        assert_hidden(response, HEADLINE, "Unsaved headline")
    article.refresh_from_db()
    assert article.headline == HEADLINE and state_of(article) == state


# The import page. The date line is an editor's to apply; authors are the Admin's to add.

IMPORTS = {  # role: (the date line applied, an unknown author created)
    "reporter": (False, False),
    "editor": (True, False),
    "admin_user": (True, True),
}


@pytest.mark.parametrize("role", IMPORTS)
def test_an_import_applies_the_date_line_and_adds_authors_only_as_the_role_may(
    client, request, reference_text, role
):
    dated, adds_author = IMPORTS[role]
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.post(IMPORT_URL, {"step": "confirm", "text": reference_text})
    assert response.status_code == 302
    article = Article.objects.get()
    assert (article.status, article.created_by) == ("draft", user)
    day = article.published_at and timezone.localtime(article.published_at).date()
    author_created = Author.objects.filter(name="James Beardsworth").exists()
    assert (day, author_created) == (datetime.date(2022, 10, 11) if dated else None, adds_author)
    assert [a.name for a in article.authors.all()] == (["James Beardsworth"] if adds_author else [])


def test_a_reporters_import_bylines_an_author_already_in_the_newsroom(
    client, reporter, reference_text
):
    author = Author.objects.create(name="James Beardsworth", slug="james-beardsworth")
    client.force_login(reporter)
    client.post(IMPORT_URL, {"step": "confirm", "text": reference_text})
    article = Article.objects.get()
    assert list(article.authors.all()) == [author] and Author.objects.count() == 1
    assert article.published_at is None


def test_nobody_logged_out_reaches_the_import_page(client, reference_text):
    response = client.post(IMPORT_URL, {"step": "confirm", "text": reference_text})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not Article.objects.exists()


# Records shared by many articles: speakers, sources, photos, authors and tags.


def shown_speaker(article):
    speaker = Speaker.objects.create(name="Olga Shared", slug="olga-shared")
    Quote.objects.create(article=article, position=9, text="Shared words.", speaker=speaker)
    return speaker


def shown_source(article):
    source = Source.objects.create(name="Shared Gazette")
    article.lead_sources.add(source)
    return source


def shown_photo(article):
    photo = make_photo(size=(64, 36), title="Shared photo")
    article.hero_photo = photo
    article.save()
    return photo


def shown_author(article):
    author = Author.objects.create(name="Shared Author", slug="shared-author")
    Byline.objects.create(article=article, author=author, position=9)
    return author


def shown_tag(article):
    article.tags.add("Shared tag")
    return Tag.objects.get(name="Shared tag")


RECORDS = {  # model: (its admin's URL prefix, a record shown on an article, the field changed)
    Speaker: ("explainers_speaker", shown_speaker, "name"),
    Source: ("explainers_source", shown_source, "name"),
    Photo: ("photos_photo", shown_photo, "title"),
    Author: ("explainers_author", shown_author, "name"),
    Tag: ("taggit_tag", shown_tag, "name"),
}
# Deleting these while an article shows them is refused by the database (PROTECT).
PROTECTED = {Speaker, Photo, Author}

USES = {  # where the record is shown: (whose article, its state)
    "on-own-draft": ("reporter", "draft"),
    "on-colleagues-draft": ("other_reporter", "draft"),
    "on-own-published": ("reporter", "published"),
    "on-own-unpublished": ("reporter", "unpublished"),
}
ANYWHERE = frozenset(USES)
SHARED_ROLES = ("reporter", "editor", "admin_user")

# Where a shared record may be changed, by role and model. Reporters hold the change permission
# (not delete) on speakers, sources and photos, and only view on authors and tags; editors hold
# everything on all but authors, which are the Admin's (setup_roles).
MAY_CHANGE = {
    "reporter": {Speaker: {"on-own-draft"}, Source: {"on-own-draft"}, Photo: {"on-own-draft"}},
    "editor": {Speaker: ANYWHERE, Source: ANYWHERE, Photo: ANYWHERE, Tag: ANYWHERE},
    "admin_user": dict.fromkeys(RECORDS, ANYWHERE),
}
MAY_DELETE = {
    "reporter": {},
    "editor": MAY_CHANGE["editor"],
    "admin_user": MAY_CHANGE["admin_user"],
}


@pytest.fixture
def shared(request, client, admin_user, reporter, other_reporter):
    """`shared(role, model, use)`: the client logged in as `role`, a record of `model` shown as
    `use` says, and a browser of the Admin's to read its forms."""

    def make(role, model, use):
        owner, state = USES[use]
        article = make_article(created_by=request.getfixturevalue(owner), **state_fields(state))
        record = RECORDS[model][1](article)
        client.force_login(request.getfixturevalue(role))
        chief = Client()
        chief.force_login(admin_user)
        return client, record, chief

    return make


def record_url(model, record, view):
    return reverse(f"admin:{RECORDS[model][0]}_{view}", args=[record.pk])


shared_cases = [
    pytest.param(role, model, use, id=f"{role}-{model._meta.model_name}-{use}")
    for role in SHARED_ROLES
    for model in RECORDS
    for use in USES
]


@pytest.mark.parametrize("role, model, use", shared_cases)
def test_a_shared_record_is_changed_only_by_those_who_may(shared, role, model, use):
    client, record, chief = shared(role, model, use)
    field = RECORDS[model][2]
    url = record_url(model, record, "change")
    data = form_data(chief.get(url), "#content-main form")
    data[field] = "Renamed by a forged post"
    response = client.post(url, data)
    changed = getattr(model.objects.get(pk=record.pk), field) == "Renamed by a forged post"
    if use in MAY_CHANGE[role].get(model, ()):
        assert response.status_code == 302, errors(response)
        assert changed
    else:
        assert response.status_code == 403
        assert not changed


@pytest.mark.parametrize("role, model, use", shared_cases)
def test_a_shared_record_is_deleted_only_by_those_who_may(shared, role, model, use):
    client, record, _ = shared(role, model, use)
    url = record_url(model, record, "delete")
    page = client.get(url)
    response = client.post(url, {"post": "yes"})
    gone = not model.objects.filter(pk=record.pk).exists()
    if use not in MAY_DELETE[role].get(model, ()):
        assert page.status_code == 403 and response.status_code == 403
        assert not gone
    elif model in PROTECTED:
        # Allowed, but the article showing it holds on to it: the page says so.
        assert page.status_code == 200 and response.status_code == 200
        assert "protected" in response.content.decode()
        assert not gone
    else:
        assert page.status_code == 200 and response.status_code == 302
        assert gone


@pytest.mark.parametrize("model", RECORDS, ids=lambda model: model._meta.model_name)
def test_nobody_logged_out_opens_a_shared_records_pages(client, model, other_reporter):
    record = RECORDS[model][1](make_article(created_by=other_reporter))
    for view in ("change", "delete"):
        response = client.post(record_url(model, record, view), {"post": "yes"})
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert model.objects.filter(pk=record.pk).exists()


# Merging tags: the change list's "merge_tags" action shows the merge page, whose form posts the
# chosen tags back with the name to keep.

TAGS = reverse("admin:taggit_tag_changelist")


@pytest.mark.parametrize("use", USES)
@pytest.mark.parametrize("role", ["anonymous", "reporter", "editor"])
def test_only_those_who_may_change_tags_merge_them(client, request, role, use):
    owner, state = USES[use]
    creator = request.getfixturevalue(owner)
    first = make_article(created_by=creator, **state_fields(state))
    second = make_article(created_by=creator, slug="second", **state_fields(state))
    first.tags.add("Alpha")
    second.tags.add("Beta", "Gamma")
    chosen = [t.pk for t in Tag.objects.filter(name__in=["Alpha", "Beta"])]
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))

    chosen_data = {"action": "merge_tags", "_selected_action": chosen}
    page = client.post(TAGS, chosen_data)
    response = client.post(TAGS, {**chosen_data, "apply": "1", "name": "Merged"}, follow=True)

    def tags(article):
        return sorted(article.tags.names())

    if role == "editor":
        assert page.status_code == 200
        assert BeautifulSoup(page.content, "html.parser").select_one('input[name="name"]')
        assert response.status_code == 200
        assert (tags(first), tags(second)) == (["Merged"], ["Gamma", "Merged"])
        assert not Tag.objects.filter(name__in=["Alpha", "Beta"]).exists()
    else:
        if role == "anonymous":
            assert page.status_code == 302 and page["Location"].startswith(LOGIN)
            assert response.redirect_chain[0][0].startswith(LOGIN)
        else:
            # A reporter holds only the view permission on tags: no action to run, the list
            # comes back as it was, with no merge form.
            assert page.status_code == 200 and response.status_code == 200
            for shown in (page, response):
                assert not BeautifulSoup(shown.content, "html.parser").select_one(
                    'input[name="name"]'
                )
        assert (tags(first), tags(second)) == (["Alpha"], ["Beta", "Gamma"])
        assert not Tag.objects.filter(name="Merged").exists()


def test_the_tag_list_offers_the_merge_action_to_editors_only(client, editor, reporter):
    make_article(created_by=reporter, status="draft").tags.add("Alpha", "Beta")

    def offered(user):
        client.force_login(user)
        html = BeautifulSoup(client.get(TAGS).content, "html.parser")
        return {o["value"] for o in html.select('select[name="action"] option') if o["value"]}

    assert "merge_tags" in offered(editor)
    assert "merge_tags" not in offered(reporter)


@pytest.mark.parametrize("role", ["reporter-own", "editor"])
def test_only_those_who_may_recover_are_offered_the_recover_link(matrix, role):
    client, _ = matrix(role, "draft")
    page = client.get(reverse("admin:explainers_article_changelist")).content.decode()
    assert ("Recover deleted articles" in page) == (role == "editor")


@pytest.mark.parametrize("state", ["draft", "review"])
def test_a_reporters_history_offers_restoring_only_while_the_draft_is_theirs(matrix, state):
    client, article = matrix("reporter-own", state)
    earlier = add_revisions(article)
    page = client.get(reverse("admin:explainers_article_history", args=[article.pk]))
    linked = revision_url(article, earlier) in page.content.decode()
    assert linked == (state == "draft")
    if state == "review":
        assert "an editor's decision" in page.content.decode()


# Django's "view on site" shortcut (/admin/r/<content type>/<id>/).


def view_on_site(obj):
    from django.contrib.contenttypes.models import ContentType

    return f"/admin/r/{ContentType.objects.get_for_model(obj).pk}/{obj.pk}/"


@pytest.mark.parametrize("what", ["article", "question", "quote"])
def test_view_on_site_does_not_tell_a_reporter_where_a_colleagues_draft_is(matrix, what):
    client, article = matrix("reporter-colleague", "scheduled")
    obj = {"article": article, "question": article.sections.first(), "quote": Quote.objects.first()}
    response = client.get(view_on_site(obj[what]))
    assert response.status_code == 404
    assert article.slug not in response.get("Location", "")


def test_view_on_site_still_takes_a_reporter_to_their_own_draft(matrix):
    client, article = matrix("reporter-own", "draft")
    response = client.get(view_on_site(article.sections.first()))
    assert response.status_code == 302


def test_view_on_site_never_hands_out_a_share_links_token(matrix):
    from explainers.models import ShareLink

    client, article = matrix("reporter-colleague", "draft")
    link = ShareLink.objects.create(
        article=article, expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    response = client.get(view_on_site(link))
    assert "/shared/" not in response.get("Location", "")


# Revisions: one per article, even from a bulk action.


def test_a_bulk_action_records_one_revision_per_article(matrix, desk, editor):
    _, mine = matrix("reporter-own", "review")
    theirs = make_article(slug="other-story", headline="Other story", status="review")
    desk.post(
        reverse("admin:explainers_article_changelist"),
        {"action": "send_back_to_draft", "_selected_action": [mine.pk, theirs.pk]},
    )
    for article in (mine, theirs):
        version = Version.objects.get_for_object(article).get()
        others = version.revision.version_set.filter(content_type_id=version.content_type_id)
        assert list(others.values_list("object_id", flat=True)) == [str(article.pk)]


def test_a_revision_holding_two_articles_is_not_restored(matrix, desk):
    client, mine = matrix("reporter-own", "draft")
    theirs = make_article(slug="other-story", headline="Other story", status="draft")
    with reversion.create_revision():
        mine.save()
        theirs.save()
    version = Version.objects.get_for_object(mine).get()
    theirs.headline = "Other story, rewritten"
    theirs.save()
    response = client.post(revision_url(mine, version), form_data(client.get(change_url(mine))))
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.headline == "Other story, rewritten"
