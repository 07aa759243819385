"""
Move in from WordPress (issue 17, second part): a WordPress export's posts become explainers,
their old addresses redirect, and a damaged export writes nothing.
"""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from explainers.models import Article, Redirect, Speaker

pytestmark = pytest.mark.django_db

EXPORT = Path(__file__).parent / "wordpress" / "newsroom.xml"


def run(path, *args):
    out = io.StringIO()
    call_command("import_wordpress", str(path), *args, stdout=out)
    return out.getvalue()


def test_posts_become_explainers_with_their_questions_quotes_and_old_addresses(client, on_commit):
    with on_commit():
        report = run(EXPORT)
    union, grain = Article.objects.order_by("pk")
    assert union.status == Article.Status.PUBLISHED and union.slug == "union-state-explained"
    assert union.published_at == datetime.datetime(2022, 10, 11, 9, 30, tzinfo=datetime.UTC)
    assert [b.author.name for b in union.bylines.all()] == ["James Beardsworth"]
    assert sorted(union.tags.names()) == ["Belarus", "Explainers"]
    assert [s.question for s in union.sections.all()] == [
        "What does the treaty say?",
        "How many troops are involved?",
    ]
    assert [(q.speaker.name, q.speaker_role, q.text) for q in union.quotes.all()] == [
        (
            "Alexander Lukashenko",
            "President of Belarus",
            "We are building a union state step by step.",
        ),
        (
            "Victor Khrenin",
            "Belarusian Defense Minister",
            "It will be more than a thousand people.",
        ),
    ]
    assert "alert" not in union.sections.all()[1].answer
    assert "A quotation nobody signed." in union.sections.all()[1].answer
    # The draft, in Russian, with no date yet; the page and the attachment are reported.
    assert (grain.status, grain.language, grain.published_at) == (Article.Status.DRAFT, "ru", None)
    assert "page “About us” skipped" in report
    assert (
        "image not imported: https://old.example.com/wp-content/uploads/2022/10/minsk.jpg" in report
    )
    assert "Created 2 and updated 0 articles." in report
    # The old address keeps working.
    response = client.get("/news/2022/union-state-explained/")
    assert response.status_code == 301 and response["Location"] == union.get_absolute_url()
    assert client.get(union.get_absolute_url()).status_code == 200
    assert list(Redirect.objects.values_list("old_path", flat=True)) == [
        "/news/2022/union-state-explained/"
    ]


def test_a_dry_run_writes_nothing_and_importing_again_updates(on_commit):
    assert "Dry run: nothing written." in run(EXPORT, "--dry-run")
    assert not Article.objects.exists()
    with on_commit():
        run(EXPORT)
        report = run(EXPORT)
    assert "Created 0 and updated 2 articles." in report
    assert Article.objects.count() == 2 and Speaker.objects.count() == 2
    assert Redirect.objects.count() == 1


def damaged(tmp_path, text):
    path = tmp_path / "export.xml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda x: x[: len(x) // 2], "is not a readable WordPress export (XML:"),
        (lambda x: "<html><body>Not an export</body></html>", "is not a WordPress export"),
        (
            lambda x: x.replace("<rss", '<!DOCTYPE rss [<!ENTITY lol "lol">]>\n<rss', 1),
            "is refused",
        ),
        (
            lambda x: x.replace("<h3>How many troops are involved?</h3>", "").replace(
                "<h2>What does the treaty say?</h2>", ""
            ),
            "post 1: “What is the Union State?” has no h2 or h3 heading",
        ),
        (
            lambda x: x.replace("<![CDATA[draft]]>", "<![CDATA[deleted]]>"),
            "post 2: “Что такое зерновая сделка?” has the status “deleted”",
        ),
        (
            lambda x: x.replace("2022-10-11 09:30:00", "yesterday"),
            "has the date “yesterday”",
        ),
    ],
    ids=["truncated", "not-wxr", "entities", "no-heading", "bad-status", "bad-date"],
)
def test_a_damaged_export_is_refused_naming_the_problem_and_nothing_is_written(
    tmp_path, change, message
):
    path = damaged(tmp_path, change(EXPORT.read_text(encoding="utf-8")))
    with pytest.raises(CommandError) as refused:
        run(path)
    assert message in str(refused.value)
    assert not Article.objects.exists() and not Redirect.objects.exists()


def test_a_post_that_fails_the_publish_checks_arrives_as_a_draft(tmp_path, on_commit):
    text = EXPORT.read_text(encoding="utf-8").replace(
        "<p>About 9,000 Russian soldiers.</p>",
        '<p>About 9,000 <a href="#">Russian soldiers</a>.</p>',
    )
    with on_commit():
        report = run(damaged(tmp_path, text))
    union = Article.objects.get(slug="union-state-explained")
    assert union.status == Article.Status.DRAFT
    assert "saved as a draft" in report
    assert not Redirect.objects.exists()  # its old address now leads nowhere public
