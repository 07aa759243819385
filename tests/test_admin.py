import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from explainers.models import Article, Author, QuestionSection, Quote, Speaker
from tests.conftest import make_article, make_photo

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:explainers_article_add")


def change_url(article):
    return reverse("admin:explainers_article_change", args=[article.pk])


def form_data(response, selector="form#article_form"):
    """Every field of an admin form (the article's by default) as the browser would send it, to
    be overridden by a test."""
    form = BeautifulSoup(response.content, "html.parser").select_one(selector)
    data = {}
    for field in form.select("input[name], textarea[name], select[name]"):
        name = field["name"]
        if "__prefix__" in name or field.get("type") in ("submit", "file", "image"):
            continue
        if field.name == "textarea":
            data[name] = field.text.lstrip("\n")
        elif field.name == "select":
            chosen = [o["value"] for o in field.select("option[selected]")]
            if field.has_attr("multiple"):
                data[name] = chosen
            else:
                data[name] = chosen[0] if chosen else ""
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        else:
            data[name] = field.get("value", "")
    return data


def errors(response):
    html = BeautifulSoup(response.content, "html.parser")
    return [li.text for li in html.select(".errorlist li")]


def test_the_add_page_has_every_part_of_an_explainer(editor_client):
    response = editor_client.get(ADD_URL)
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    for name in ("headline", "slug", "dek", "lead", "lead_sources", "tags", "status", "hero_photo"):
        assert html.select_one(f'[name="{name}"]'), name
    for prefix in ("bylines", "sections", "quotes"):
        assert html.select_one(f'[name="{prefix}-TOTAL_FORMS"]'), prefix
    # The slug follows the headline as it is typed.
    assert html.select_one("#django-admin-prepopulated-fields-constants")


def test_saving_a_whole_article_through_the_admin(editor_client):
    author = Author.objects.create(name="James Beardsworth", slug="james-beardsworth")
    data = form_data(editor_client.get(ADD_URL))
    data.update(
        {
            "headline": "What is the Union State?",
            "slug": "what-is-the-union-state",
            "lead": "<p>Lead <script>alert(1)</script>text.</p>",
            "tags": "Belarus, Russia",
            "status": "published",
            "published_published_at_0": "",
            "published_at_0": "2022-10-11",
            "published_at_1": "12:00:00",
            "bylines-0-author": str(author.pk),
            "sections-0-position": "1",
            "sections-0-question": "What does the treaty say?",
            "sections-0-answer": "If either side is threatened, a joint unit can be formed.",
        }
    )
    response = editor_client.post(ADD_URL, data, follow=True)
    assert errors(response) == []
    article = Article.objects.get()
    assert article.is_published()
    assert article.lead == "<p>Lead text.</p>"
    section = article.sections.get()
    assert section.anchor == "what-does-the-treaty-say"
    assert section.answer == "<p>If either side is threatened, a joint unit can be formed.</p>"
    assert list(article.authors.all()) == [author]
    assert sorted(t.name for t in article.tags.all()) == ["Belarus", "Russia"]

    # Second visit: a quote is added to the saved question.
    speaker = Speaker.objects.create(name="Victor Khrenin", slug="victor-khrenin")
    data = form_data(editor_client.get(change_url(article)))
    data.update(
        {
            "quotes-TOTAL_FORMS": "1",
            "quotes-0-section": str(section.pk),
            "quotes-0-text": "The tasks are purely defensive.",
            "quotes-0-speaker": str(speaker.pk),
            "quotes-0-speaker_role": "Belarusian Defense Minister",
            "quotes-0-position": "0",
        }
    )
    response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    quote = Quote.objects.get()
    assert (quote.section, quote.speaker, quote.article) == (section, speaker, article)


def test_publishing_is_refused_with_every_problem_named(editor_client):
    photo = make_photo(renditions=False, alt_text=" ", credit="")
    article = make_article(sections=2, status="draft", published_at=None, hero_photo=photo)
    data = form_data(editor_client.get(change_url(article)))
    data.update(
        {
            "status": "published",
            "sections-1-answer": "",
            "quotes-0-speaker": "",
        }
    )
    response = editor_client.post(change_url(article), data)
    assert response.status_code == 200
    assert errors(response) == [
        "Cannot publish: The hero photo needs alt text (in the photo library).",
        "Cannot publish: The hero photo needs a credit.",
        "A published article needs a publication date.",
        "Cannot publish: Question 2 (“Question number 2?”) has no answer.",
        "Cannot publish: Quote 1 (“Words 1.0”) has no speaker.",
    ]
    article.refresh_from_db()
    assert article.status == "draft"
    assert article.sections.get(position=2).answer == "<p>Answer 2.</p>"


def test_a_draft_may_be_incomplete(editor_client):
    article = make_article(sections=1, status="draft", published_at=None)
    data = form_data(editor_client.get(change_url(article)))
    data.update({"sections-0-answer": "", "quotes-0-speaker": ""})
    response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    assert article.sections.get().answer == ""


def test_swapping_two_questions_saves_the_new_order(editor_client):
    article = make_article(sections=3)
    data = form_data(editor_client.get(change_url(article)))
    data.update({"sections-0-position": "2", "sections-1-position": "1"})
    response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    assert [s.question for s in article.sections.all()] == [
        "Question number 2?",
        "Question number 1?",
        "Question number 3?",
    ]
    html = BeautifulSoup(editor_client.get(article.get_absolute_url()).content, "html.parser")
    assert html.select("section.question h2")[0].text == "Question number 2?"


def test_deleting_a_question_and_moving_another_into_its_place(editor_client):
    article = make_article(sections=3, quotes_per_section=0)
    data = form_data(editor_client.get(change_url(article)))
    data.update({"sections-0-position": "3", "sections-2-DELETE": "on"})
    response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    assert [(s.position, s.question) for s in article.sections.all()] == [
        (2, "Question number 2?"),
        (3, "Question number 1?"),
    ]


def test_new_questions_left_at_position_zero_go_to_the_end(editor_client):
    article = make_article(sections=2, quotes_per_section=0)
    data = form_data(editor_client.get(change_url(article)))
    data.update(
        {
            "sections-2-question": "A third question?",
            "sections-2-answer": "Its answer.",
            "sections-2-position": "0",
        }
    )
    response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    assert article.sections.last().question == "A third question?"


def test_two_questions_at_one_position_get_a_clear_message(editor_client):
    article = make_article(sections=2)
    data = form_data(editor_client.get(change_url(article)))
    data["sections-1-position"] = "1"
    response = editor_client.post(change_url(article), data)
    assert "Two questions have the same position (1); give each question its own number." in errors(
        response
    )


def test_a_quote_cannot_be_put_in_another_articles_question(editor_client):
    article = make_article(sections=1)
    other = make_article(slug="other", sections=1)
    data = form_data(editor_client.get(change_url(article)))
    html = BeautifulSoup(editor_client.get(change_url(article)).content, "html.parser")
    options = [
        o["value"] for o in html.select('select[name="quotes-0-section"] option') if o["value"]
    ]
    assert options == [str(article.sections.get().pk)]
    data["quotes-0-section"] = str(other.sections.get().pk)
    response = editor_client.post(change_url(article), data)
    assert any("Select a valid choice" in e for e in errors(response))
    assert Quote.objects.get(article=article).section == article.sections.get()


def test_the_change_list_shows_authors_and_question_counts_with_filters_and_search(editor_client):
    make_article(sections=3, headline="Union State explained")
    make_article(slug="other", headline="Something else", sections=1)
    url = reverse("admin:explainers_article_changelist")
    response = editor_client.get(url)
    html = BeautifulSoup(response.content, "html.parser")
    rows = [
        [td.text for td in tr.select("th, td")][1:] for tr in html.select("#result_list tbody tr")
    ]
    assert ["Union State explained", "Published"] == rows[0][:2] or [
        "Union State explained",
        "Published",
    ] == rows[1][:2]
    assert {row[0]: (row[3], row[4]) for row in rows} == {
        "Union State explained": ("James Beardsworth", "3"),
        "Something else": ("James Beardsworth", "1"),
    }
    found = BeautifulSoup(editor_client.get(url, {"q": "number 3"}).content, "html.parser")
    assert [a.text for a in found.select("#result_list tbody th a")] == ["Union State explained"]
    assert editor_client.get(url, {"status__exact": "draft"}).status_code == 200


def test_view_on_site_opens_a_draft_with_its_banner(editor_client):
    article = make_article(status="draft", published_at=None)
    response = editor_client.get(change_url(article))
    link = BeautifulSoup(response.content, "html.parser").select_one("a.viewsitelink")
    preview = editor_client.get(link["href"], follow=True)
    assert "Draft — not public" in preview.content.decode()


def test_choosing_a_hero_photo_from_the_library_shows_a_thumbnail(editor_client):
    article = make_article()
    photo = make_photo(alt_text="Troops", credit="AP")
    data = form_data(editor_client.get(change_url(article)))
    data.update({"hero_photo": str(photo.pk), "hero_caption": "For this story"})
    response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    article.refresh_from_db()
    assert article.hero_photo == photo and article.hero_caption_text == "For this story"
    page = BeautifulSoup(editor_client.get(change_url(article)).content, "html.parser")
    assert page.select_one('img[alt="Troops"]')["src"] == photo.fallback["url"]
    # The photo is found by autocomplete, not a long dropdown.
    assert "admin-autocomplete" in str(page.select_one('select[name="hero_photo"]'))


def test_people_without_permission_cannot_open_the_article_admin(client, django_user_model):
    user = django_user_model.objects.create_user("visitor", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(ADD_URL).status_code == 403
    assert QuestionSection.objects.count() == 0


def new_questions(data, *questions, start=0):
    """Fill the section forms from `start` with these questions, anchors left empty."""
    for n, question in enumerate(questions, start=start):
        data[f"sections-{n}-question"] = question
        data[f"sections-{n}-answer"] = f"<p>An answer to {question}</p>"
        data[f"sections-{n}-anchor"] = ""
        data[f"sections-{n}-position"] = "0"
    data["sections-TOTAL_FORMS"] = str(start + len(questions))
    return data


def test_a_new_article_with_several_questions_saves_with_anchors_made_for_it(editor_client):
    data = form_data(editor_client.get(ADD_URL))
    data.update({"headline": "Union State", "slug": "union-state", "status": "draft"})
    new_questions(data, "What is it?", "Why now?", "What is it?")
    response = editor_client.post(ADD_URL, data, follow=True)
    assert errors(response) == []
    anchors = list(Article.objects.get().sections.values_list("anchor", flat=True))
    assert anchors == ["what-is-it", "why-now", "what-is-it-2"]


def test_two_new_questions_added_to_a_draft_in_one_save_get_their_own_anchors(editor_client):
    article = make_article(sections=1, status="draft")
    data = form_data(editor_client.get(change_url(article)))
    new_questions(data, "Question number 1?", "Who pays?", start=1)
    response = editor_client.post(change_url(article), data, follow=True)
    assert errors(response) == []
    anchors = list(article.sections.values_list("anchor", flat=True))
    assert anchors == ["question-number-1", "question-number-1-2", "who-pays"]


def test_an_anchor_typed_twice_is_named_on_its_field(editor_client):
    data = form_data(editor_client.get(ADD_URL))
    data.update({"headline": "Union State", "slug": "union-state", "status": "draft"})
    new_questions(data, "What is it?", "Why now?")
    data["sections-0-anchor"] = data["sections-1-anchor"] = "treaty"
    response = editor_client.post(ADD_URL, data)
    assert "Another question of this article has the anchor “treaty”." in errors(response)
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    "name",
    ["lead_sources", "hero_photo", "bylines-0-author", "sections-0-sources", "quotes-0-speaker"],
)
def test_an_id_too_large_for_the_database_is_an_invalid_choice(editor_client, name):
    article = make_article(headline="Live one")
    data = form_data(editor_client.get(change_url(article)))
    data.update({name: "99999999999999999999999", "headline": "Changed"})
    response = editor_client.post(change_url(article), data)
    assert response.status_code == 200
    assert any(e.startswith("Select a valid choice.") for e in errors(response))
    assert Article.objects.get().headline == "Live one"


def test_a_forged_number_of_questions_is_refused_with_a_message(editor_client):
    article = make_article(headline="Live one")
    data = form_data(editor_client.get(change_url(article)))
    data.update({"sections-TOTAL_FORMS": "99999999", "headline": "Changed"})
    response = editor_client.post(change_url(article), data)
    assert response.status_code == 200
    assert "Please submit at most 200 forms." in errors(response)
    assert Article.objects.get().headline == "Live one"
