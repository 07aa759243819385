import pytest
from django.core.management import CommandError, call_command

from explainers.importer import ImportProblem, parse_explainer, save_explainer
from explainers.models import Article, QuestionSection, Quote, Source, Speaker
from tests.conftest import REFERENCE_FILE

REFERENCE_QUESTIONS = [
    "What is Russia and Belarus' Union State alliance?",
    "How many troops will be assembled?",
    "Where will they go and what will they do?",
    "What has been Ukraine's response?",
    "Could this be the start of a wider Belarusian war with Ukraine?",
]

SMALL = """Explainer: What is the Union State?

By [Anna Petrova](#) and John Smith

March 3, 2023

What the treaty says and why it matters now.

What is it?

A treaty signed in 1999.

Why now?

Because of the war.

Reuters contributed reporting.

Original url:

<https://example.com/union-state>
"""


# The reference article.


def test_the_reference_article_gives_five_questions_as_written():
    parsed = parse_explainer(REFERENCE_FILE.read_bytes())
    assert parsed.kicker == "Explainer"
    assert parsed.headline == "Is the Belarus-Russia ‘Joint Military Group’ a Threat to Ukraine?"
    assert parsed.authors == ["James Beardsworth"]
    assert parsed.published_on.isoformat() == "2022-10-11"
    assert parsed.credit == "Sergei Grits / AP / TASS"
    assert parsed.caption.startswith("Belarus' President Alexander Lukashenko inspects")
    assert [s.question for s in parsed.sections] == REFERENCE_QUESTIONS
    assert parsed.contributed_by == "AFP"
    assert parsed.original_url.startswith("https://www.themoscowtimes.com/2022/10/11/")


def test_the_lead_is_its_own_paragraphs_and_no_paragraph_is_broken_in_two():
    parsed = parse_explainer(REFERENCE_FILE.read_bytes())
    assert parsed.lead.paragraphs == [
        "<p>Belarusian President Alexander Lukashenko claimed Monday that Ukraine was readying an "
        'attack on Belarus and <a href="#">announced</a> the formation of a “joint military '
        "group” with Russia.</p>",
        "<p>While Belarus has been a staging ground for Russian forces — both ground troops and "
        "missile launchers — since the start of the invasion of Ukraine, Lukashenko’s announcement "
        "sparked international concern that Belarus could soon take a more active role in the "
        "fighting.</p>",
        "<p>Lukashenko said Belarus and Russia have been readying troops in recent days, claiming "
        "the preparations were in accordance with the two countries' Union State alliance.</p>",
    ]
    response = parsed.sections[3].body.paragraphs[0]
    assert "was seeking to drag its ally Belarus into the war" in response
    for body in [parsed.lead] + [s.body for s in parsed.sections]:
        for paragraph in body.paragraphs:
            text = paragraph.removeprefix("<p>").removesuffix("</p>")
            assert text[:1].isupper(), paragraph
            assert text.endswith((".", "”", '"', "?")), paragraph


def test_the_placeholders_are_reported_and_kept_as_links_waiting_for_an_address():
    parsed = parse_explainer(REFERENCE_FILE.read_bytes())
    placeholders = [line for line in parsed.report if "placeholder link" in line]
    assert [p.split("“")[1].split("”")[0] for p in placeholders] == [
        "James Beardsworth",
        "announced",
        "according to",
        "report",
    ]
    assert '<a href="#">announced</a> the formation' in parsed.lead.paragraphs[0]


@pytest.mark.django_db
def test_a_draft_keeps_its_placeholders_for_the_checklist_and_a_published_import_drops_them():
    parsed = parse_explainer(REFERENCE_FILE.read_bytes())
    draft = save_explainer(parsed).article
    assert '<a href="#">announced</a>' in draft.lead
    links = dict(draft.publish_checklist())["Links, each with an address"]
    assert links == [
        "The lead links “announced” to no address yet.",
        "Question 2 links “report” to no address yet.",
    ]
    assert "Question 2 links “report” to no address yet." in draft.publish_problems()

    draft.delete()
    published = save_explainer(parse_explainer(REFERENCE_FILE.read_bytes()), publish=True).article
    assert published.status == Article.Status.PUBLISHED
    assert "Belarus and announced the formation" in published.lead
    assert 'href="#"' not in published.lead + "".join(s.answer for s in published.sections.all())


def test_the_direct_quotes_become_quotes_with_speaker_role_and_source():
    parsed = parse_explainer(REFERENCE_FILE.read_bytes())
    quotes = [(q.speaker, q.role) for q in parsed.quotes]
    assert quotes == [
        ("Alexander Lukashenko", "Belarusian President"),
        ("Alexander Lukashenko", "Belarusian President"),
        ("Victor Khrenin", "Belarusian Defense Minister"),
        ("Volodymyr Zelensky", "President"),
    ]
    lead_quote = parsed.lead.quotes[0]
    assert lead_quote.text == (
        "Ukraine is not just discussing but planning strikes on the territory of Belarus. "
        "If you want peace, you have to prepare for war."
    )
    assert lead_quote.source.name == "Belta" and lead_quote.source.kind == "agency"
    assert lead_quote.context == "during a meeting with security officials"
    assert lead_quote.after_paragraph == 1


@pytest.mark.django_db
def test_importing_the_reference_file_saves_the_whole_explainer():
    call_command("import_explainer", str(REFERENCE_FILE), verbosity=0)
    article = Article.objects.get()
    assert article.status == "draft"
    assert [s.question for s in article.sections.all()] == REFERENCE_QUESTIONS
    assert article.quotes.count() == 4
    assert set(Speaker.objects.values_list("name", flat=True)) == {
        "Alexander Lukashenko",
        "Victor Khrenin",
        "Volodymyr Zelensky",
    }
    assert [s.name for s in article.cited_sources()] == [
        "Belta",
        "International Center for Security and Defense",
    ]
    assert [a.name for a in article.authors.all()] == ["James Beardsworth"]


@pytest.mark.django_db
def test_importing_the_same_file_twice_updates_instead_of_duplicating():
    call_command("import_explainer", str(REFERENCE_FILE), verbosity=0)
    first = Article.objects.get()
    call_command("import_explainer", str(REFERENCE_FILE), verbosity=0)
    assert Article.objects.get().pk == first.pk
    assert QuestionSection.objects.count() == 5
    assert Quote.objects.count() == 4
    assert Speaker.objects.count() == 3
    assert Source.objects.count() == 2


@pytest.mark.django_db
def test_the_command_reports_what_it_extracted(capsys):
    call_command("import_explainer", str(REFERENCE_FILE))
    out = capsys.readouterr().out
    assert "5 questions, 4 quotes, 4 placeholder links" in out
    assert "quote by Victor Khrenin (Belarusian Defense Minister)" in out
    assert "Created “Is the Belarus-Russia" in out


@pytest.mark.django_db
def test_dry_run_writes_nothing(capsys):
    call_command("import_explainer", str(REFERENCE_FILE), "--dry-run")
    assert Article.objects.count() == 0
    assert "nothing written" in capsys.readouterr().out


@pytest.mark.django_db
def test_publish_flag_publishes_a_complete_import():
    call_command("import_explainer", str(REFERENCE_FILE), "--publish", verbosity=0)
    assert Article.objects.published().count() == 1


# Explainers from other outlets.


def test_a_small_explainer_with_several_authors_and_a_footer():
    parsed = parse_explainer(SMALL)
    assert parsed.authors == ["Anna Petrova", "John Smith"]
    assert [s.question for s in parsed.sections] == ["What is it?", "Why now?"]
    assert parsed.contributed_by == "Reuters"
    assert parsed.original_url == "https://example.com/union-state"


def test_windows_line_endings_a_byte_order_mark_and_non_breaking_spaces():
    text = "\ufeff" + SMALL.replace("\n", "\r\n").replace("signed in", "signed\u00a0in")
    parsed = parse_explainer(text.encode("utf-8"))
    assert parsed.kicker == "Explainer"
    assert parsed.sections[0].body.paragraphs == ["<p>A treaty signed in 1999.</p>"]


def test_headings_in_capitals_or_numbered_are_questions():
    text = SMALL.replace("What is it?", "1. WHAT IS THE UNION STATE TREATY?").replace(
        "Why now?", "2) Why now?"
    )
    text = text.replace("A treaty signed in 1999.", "A treaty the Union State signed in 1999.")
    parsed = parse_explainer(text)
    assert [s.question for s in parsed.sections] == ["What is the Union State treaty?", "Why now?"]
    assert any("heading in capitals" in line for line in parsed.report)


def test_a_lead_paragraph_ending_in_a_question_mark_stays_in_the_lead():
    lead = (
        "Minsk says it is ready. But is the alliance more than words, and what would a joint "
        "force of a thousand men really change for Kyiv?"
    )
    parsed = parse_explainer(SMALL.replace("What the treaty says and why it matters now.", lead))
    assert [s.question for s in parsed.sections] == ["What is it?", "Why now?"]
    assert parsed.lead.paragraphs == [f"<p>{lead}</p>"]
    assert any("kept in the lead" in line for line in parsed.report)


def test_a_sub_heading_inside_an_answer_is_not_a_question():
    text = SMALL.replace(
        "A treaty signed in 1999.",
        "A treaty signed in 1999.\n\nThe military side\n\nIt allows a joint force.",
    )
    parsed = parse_explainer(text)
    assert len(parsed.sections) == 2
    assert parsed.sections[0].body.paragraphs == [
        "<p>A treaty signed in 1999.</p>",
        "<p><strong>The military side</strong></p>",
        "<p>It allows a joint force.</p>",
    ]


def test_a_missing_byline_and_date_are_reported_not_fatal():
    text = SMALL.replace("By [Anna Petrova](#) and John Smith\n", "").replace("March 3, 2023\n", "")
    parsed = parse_explainer(text)
    assert parsed.authors == [] and parsed.published_on is None
    assert any("no byline" in line for line in parsed.report)
    assert any("no date line" in line for line in parsed.report)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
    ],
    ids=["plain", "mixed-case", "leading-space", "tab", "entity", "data", "vbscript"],
)
def test_dangerous_links_never_survive_as_links(url):
    parsed = parse_explainer(SMALL.replace("A treaty signed", f"A [treaty]({url}) signed"))
    assert parsed.sections[0].body.paragraphs == ["<p>A treaty signed in 1999.</p>"]
    assert any("removed" in line for line in parsed.report)


def test_real_links_are_kept_and_raw_html_is_escaped():
    text = SMALL.replace(
        "A treaty signed in 1999.", "A [treaty](https://example.com/t) <script>x</script>."
    )
    paragraph = parse_explainer(text).sections[0].body.paragraphs[0]
    assert paragraph == (
        '<p>A <a href="https://example.com/t">treaty</a> &lt;script&gt;x&lt;/script&gt;.</p>'
    )


# Bad input: the line and the problem, and nothing written.


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The file is empty"),
        (b"   \n\n  \n", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "line 3: contains a NUL byte"),
        ("Explainer: Caf\u00e9?\n".encode("latin-1"), "line 1: is not UTF-8 text (byte 0xe9)"),
        (SMALL.replace("Why now?", "Why \x1b[31mnow?").encode(), "control character U+001B"),
        (
            SMALL.replace("What is the Union State?", "Long " * 60).encode(),
            "line 1: the headline is 299 characters long; the limit is 200",
        ),
        (
            SMALL.replace("March 3, 2023", "February 30, 2023").encode(),
            "line 5: “February 30, 2023” is not a date that exists",
        ),
        (
            SMALL.replace("Because of the war.", "").encode(),
            "the question “Why now?” has no answer",
        ),
        (
            SMALL.replace("Why now?", "What is it?").encode(),
            "line 13: the question “What is it?” is asked twice (first on line 9)",
        ),
        (
            SMALL.replace("<https://example.com/union-state>", "ftp://example.com/x").encode(),
            "the original URL “ftp://example.com/x” is not an http:// or https:// address",
        ),
        (b"Just a headline\n\nAnd a paragraph.\n", "no question headings found"),
    ],
    ids=[
        "empty",
        "only-whitespace",
        "binary",
        "not-utf8",
        "control-character",
        "headline-too-long",
        "date-that-does-not-exist",
        "question-without-answer",
        "question-twice",
        "original-url-not-http",
        "no-questions",
    ],
)
@pytest.mark.django_db
def test_bad_input_names_the_line_and_problem_and_writes_nothing(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError) as error:
        call_command("import_explainer", str(path), verbosity=0)
    assert message in str(error.value)
    assert str(error.value).startswith(f"{path}: ")
    assert Article.objects.count() == Speaker.objects.count() == Source.objects.count() == 0


@pytest.mark.django_db
def test_a_failed_publish_leaves_nothing_behind(monkeypatch):
    parsed = parse_explainer(SMALL.replace("March 3, 2023\n", ""))
    with pytest.raises(ImportProblem, match="Set a publication date"):
        save_explainer(parsed, publish=True)
    assert Article.objects.count() == QuestionSection.objects.count() == 0


def test_an_unreadable_path_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        call_command("import_explainer", str(tmp_path / "missing.txt"))
