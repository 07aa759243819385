"""The quote-attribution heuristics (explainers.attribution), one at a time."""

import re

import pytest

from explainers.attribution import (
    Attribution,
    Introductions,
    ParsedSource,
    attribute,
    cited_sources,
    quoted_passages,
    source_from,
    speaker_and_context,
    split_quote,
    trailing_citation,
)
from tests.conftest import assert_linear_time

NOTHING = Introductions([])
STORY = Introductions(
    [
        "Belarusian President Alexander Lukashenko claimed Monday that Ukraine was readying an "
        "attack.",
        "The force will be sent to Belarus' border, Belarusian Defense Minister Victor Khrenin "
        "said Tuesday.",
        "President Volodymyr Zelensky told a meeting of G7 leaders Tuesday that Russia was "
        "seeking to drag its ally Belarus into the war.",
    ]
)


# Who is speaking.


def test_x_said_names_the_speaker_before_the_verb():
    assert speaker_and_context("Khrenin said in a statement.") == ("Khrenin", " in a statement.")


def test_said_x_names_the_speaker_after_the_verb_and_the_words_between():
    assert speaker_and_context("said Lukashenko.") == ("Lukashenko", "")
    assert speaker_and_context("said defense analyst Konrad Muzyka") == ("Konrad Muzyka", "")


def test_x_comma_who_they_are_comma_said_names_x():
    found = speaker_and_context("Lukashenko, a close ally of Vladimir Putin, said on Monday.")
    assert found == ("Lukashenko", " on Monday.")


def test_a_capitalised_word_that_opens_a_clause_is_not_a_speaker():
    assert speaker_and_context("Then said the minister.") is None
    assert speaker_and_context("the minister said.") is None


def test_no_speech_verb_no_speaker():
    assert attribute("Lukashenko on Monday.", STORY) is None


# Their full name and role, where the story introduces them.


def test_the_role_is_the_capitalised_words_before_the_first_name():
    assert STORY.identify("Khrenin") == ("Victor Khrenin", "Belarusian Defense Minister")
    assert STORY.identify("Lukashenko") == ("Alexander Lukashenko", "Belarusian President")


def test_a_full_name_in_the_quote_is_kept_as_written():
    assert STORY.identify("Volodymyr Zelensky") == ("Volodymyr Zelensky", "President")


def test_a_title_before_the_surname_is_the_role_not_a_first_name():
    people = Introductions(["After it, President Zelensky spoke to reporters."])
    assert people.identify("Zelensky") == ("Zelensky", "President")


def test_a_role_is_at_most_four_words_and_loses_the_words_opening_a_sentence():
    people = Introductions(
        [
            "Former Belarusian Deputy Defense Minister Victor Khrenin spoke.",
            "While Foreign Minister Vladimir Makei spoke.",
        ]
    )
    assert people.identify("Khrenin") == ("Victor Khrenin", "Belarusian Deputy Defense Minister")
    assert people.identify("Makei") == ("Vladimir Makei", "Foreign Minister")


def test_the_first_introduction_with_a_role_wins():
    people = Introductions(
        ["Victor Khrenin arrived.", "Defense Minister Victor Khrenin spoke.", "Chief Ivan Khrenin"]
    )
    assert people.identify("Khrenin") == ("Victor Khrenin", "Defense Minister")


def test_a_possessive_or_a_prefix_still_introduces_the_speaker():
    people = Introductions(
        [
            "President Alexander Lukashenko’s announcement came first.",
            "Then ex-President Viktor Yanukovych fled.",
        ]
    )
    assert people.identify("Lukashenko") == ("Alexander Lukashenko", "President")
    assert people.identify("Yanukovych") == ("Viktor Yanukovych", "President")


def test_a_speaker_the_story_never_introduces_has_no_role():
    assert STORY.identify("Muzyka") == ("Muzyka", "")
    assert NOTHING.identify("Muzyka") == ("Muzyka", "")


# On whose report.


def test_according_to_state_news_agency_belta_is_the_source_and_leaves_the_context():
    found = attribute(
        "Lukashenko said during a meeting with security officials, according to state news "
        "agency Belta.",
        STORY,
    )
    assert found == Attribution(
        speaker="Alexander Lukashenko",
        role="Belarusian President",
        context="during a meeting with security officials",
        source=ParsedSource(name="Belta", kind="agency"),
    )


def test_according_to_a_person_is_not_a_source_and_stays_in_the_context():
    found = attribute("Khrenin said, according to Muzyka.", STORY)
    assert found.source is None
    assert found.context == "according to Muzyka"


def test_the_trailing_citation_is_only_the_last_clause():
    text = "on Monday, according to officials, according to state news agency Belta."
    start, phrase = trailing_citation(text)
    assert (text[:start], phrase) == (
        "on Monday, according to officials",
        "state news agency Belta",
    )
    assert trailing_citation("according to Belta, on Monday") is None


def test_the_organisation_after_x_based_is_the_source():
    source = source_from(
        "a 2021 report by Muzyka for the Estonia-based International Center for Security and "
        "Defense think tank"
    )
    assert source == ParsedSource(
        name="International Center for Security and Defense", kind="report"
    )


def test_a_paragraph_cites_its_sources_in_passing():
    text = (
        "Belarus has 45,000 soldiers, according to a 2021 report by the Rochan Consulting group, "
        "and more, according to Muzyka."
    )
    assert list(cited_sources(text)) == [ParsedSource(name="Rochan Consulting", kind="report")]


# The quotation itself.


def test_the_quoted_sentences_and_the_words_around_them():
    words, around = split_quote(
        "“Ukraine is planning strikes,” Lukashenko said. “If you want peace, prepare for war.”"
    )
    assert words == ["Ukraine is planning strikes,", "If you want peace, prepare for war."]
    assert around == "Lukashenko said."


def test_a_quoted_phrase_in_lower_case_belongs_to_the_attribution():
    words, around = split_quote(
        '"Russia is trying," Zelensky said, calling for observers "to monitor the situation."'
    )
    assert words == ["Russia is trying,"]
    assert around == "Zelensky said, calling for observers “to monitor the situation.”"


@pytest.mark.parametrize(
    "text",
    [
        "“a” and “b”",
        "“a “b” c”",
        '"a" “b" c” "d',
        "“unclosed and “another",
        '“curly then "straight" inside”',
        '"" “” “',
    ],
)
def test_quoted_passages_are_those_the_original_pattern_found(text):
    original = re.compile(r"“([^”]*)”|\"([^\"]*)\"")
    expected = [
        (m.start(), m.end(), m[1] if m[1] is not None else m[2]) for m in original.finditer(text)
    ]
    assert list(quoted_passages(text)) == expected


# Text these heuristics do not read.


def test_cyrillic_names_are_introduced_but_english_phrasing_around_them_gives_no_speaker():
    people = Introductions(["Президент Александр Лукашенко заявил в понедельник."])
    assert people.identify("Лукашенко") == ("Александр Лукашенко", "Президент")
    words, around = split_quote("“Мы готовы,” сказал Лукашенко.")
    assert words == ["Мы готовы,"]
    assert attribute(around, people) is None
    assert attribute("Лукашенко said.", people) is None
    assert attribute("said Лукашенко, according to agency БелТА.", people) is None


@pytest.mark.parametrize(
    "read",
    [
        lambda n: Introductions(["A" * n, "Abc " * (n // 4)]).identify("Smith"),
        lambda n: Introductions(["A-" * (n // 2)]).identify("A"),
        lambda n: speaker_and_context("Abc " * (n // 4)),
        lambda n: speaker_and_context("said " + "abc " * (n // 4)),
        lambda n: attribute("Abc said, " + "according to " * (n // 13), NOTHING),
        lambda n: list(cited_sources("according to " * (n // 13) + "agency")),
        lambda n: source_from("agency " + "A-" * (n // 2)),
        lambda n: list(quoted_passages("“" * (n // 3))),
        lambda n: split_quote("“" * (n // 3)),
    ],
    ids=[
        "capitals",
        "hyphens",
        "names-without-verb",
        "verb-without-name",
        "according-to",
        "citations",
        "hyphenated-source",
        "curly-quotes",
        "split-curly-quotes",
    ],
)
def test_a_megabyte_of_hostile_text_is_read_in_linear_time(read):
    assert_linear_time(read, 1_000_000)
