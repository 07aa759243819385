import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image
from reversion.models import Version

from explainers.models import Article, QuestionSection, Quote, Source, Speaker

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parent.parent


def test_load_demo_publishes_the_reference_explainer_with_a_hero_image(client, capsys):
    call_command("load_demo")
    assert "Published the demo explainer at /2022/10/11/" in capsys.readouterr().out
    article = Article.objects.published().get(language="en")
    assert article.publish_problems() == []
    # Its Russian version: the project's own translation, published, linked as a translation.
    russian = Article.objects.published().get(language="ru")
    assert russian.translated_from == article and russian.translation_key == article.translation_key
    assert russian.headline.startswith("Угрожает ли Украине")
    assert russian.sections.count() == 5 and russian.quotes.count() == 4
    assert russian.sections.first().anchor == "что-такое-союзное-государство-россии-и-беларуси"
    assert {q.speaker_id for q in russian.quotes.all()} == {
        q.speaker_id for q in article.quotes.all()
    }
    assert russian.publish_problems() == []
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'href="{russian.get_absolute_url()}"' in page and 'hreflang="ru"' in page
    assert article.sections.count() == 5 and article.quotes.count() == 4
    photo = article.hero_photo
    with Image.open(photo.image.path) as image:
        assert image.format == "JPEG" and image.size == (1600, 900)
    assert photo.alt_text and article.hero_credit_text == "Sergei Grits / AP / TASS"
    assert photo.renditions.count() == 9
    assert article.last_updated() is None
    assert Version.objects.get_for_object(article).count() == 1  # one revision, restorable
    assert client.get("/").status_code == 200
    assert article.headline in client.get("/").content.decode()


def test_load_demo_a_second_time_changes_nothing(capsys):
    call_command("load_demo", verbosity=0)
    article = Article.objects.get(language="en")
    counts = [m.objects.count() for m in (Article, QuestionSection, Quote, Speaker, Source)]
    call_command("load_demo")
    assert "already loaded; nothing to do" in capsys.readouterr().out
    assert [m.objects.count() for m in (Article, QuestionSection, Quote, Speaker, Source)] == counts
    again = Article.objects.get(language="en")
    assert (again.updated_at, again.hero_photo_id) == (
        article.updated_at,
        article.hero_photo_id,
    )


def test_a_bad_file_exits_non_zero_with_the_line_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Explainer: A headline\n\nFebruary 30, 2022\n\nWhat?\n\nAnswer.\n")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_explainer", str(bad)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "line 3: “February 30, 2022” is not a date that exists" in result.stderr
    assert "Traceback" not in result.stderr


def test_page_weight_prints_the_article_pages_weight_within_budget(capsys):
    call_command("load_demo", verbosity=0)
    call_command("page_weight")
    out = capsys.readouterr().out
    assert "HTML" in out and "CSS /static/css/site.css" in out and "JavaScript: 0 bytes" in out
    assert "Within budget" in out and "of a 60 KB budget" in out


def test_page_weight_fails_over_budget_and_without_articles():
    with pytest.raises(CommandError, match="load_demo"):
        call_command("page_weight")
    call_command("load_demo", verbosity=0)
    with pytest.raises(CommandError, match="Over budget"):
        call_command("page_weight", "--budget", "1")
