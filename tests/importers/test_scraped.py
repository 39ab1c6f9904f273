"""Importing the real example page, on both stores."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from parley.domain import CommentState
from parley.errors import ImportFormatError, NotFound
from parley.importers.scraped import import_page, parse, parse_age
from tests.conftest import EXAMPLE

SCRAPED_AT = datetime(2024, 4, 8, 12, tzinfo=timezone.utc)
SPOILER = "This comment contains spoilers. Click here if you want to read."


def _import(services, text=None, slug="s", **kw):
    return import_page(services, parse(EXAMPLE.read_text() if text is None else text), slug=slug,
                       scraped_at=SCRAPED_AT, **kw)


def test_the_example_page_imports_as_it_reads(services):
    result = _import(services)
    assert (result.story_created, result.comments_added) == (True, 5)
    story = services.stories.get("s")
    assert story.comment_count == 5
    assert story.credit == "AFP"
    assert story.published_at == datetime(2024, 4, 2, tzinfo=timezone.utc)
    assert story.paragraphs()[0].startswith("US Secretary of State Antony Blinken will hold talks")
    assert story.paragraphs()[-1].startswith("Blinken will also hold a three-way meeting")

    thread = services.posting.thread_page(story).comments
    shape = [(c.author.display_name, c.depth, c.created_at.date().isoformat()) for c in thread]
    assert shape == [("Bob Boomhauer", 0, "2024-04-02"), ("John", 1, "2024-04-03"), ("Bob Boomhauer", 2, "2024-04-04"),
                     ("John", 0, "2024-04-02"), ("Molotov", 0, "2024-04-02")]
    bob, john_reply, bob_reply = thread[:3]
    assert john_reply.parent_id == bob.id and bob_reply.parent_id == john_reply.id
    assert john_reply.body_source.startswith("@Bob Boomhauer, Congratulations")
    assert f'<a class="mention" href="#c{bob.id}">@Bob Boomhauer</a>' in john_reply.body_html
    assert all(c.author.guest for c in thread)
    assert all(c.state is CommentState.FOLDED and [n.text for n in c.notices] == [SPOILER] for c in thread)
    assert john_reply.body_html.count("<p>") == 4


def test_reimporting_adds_nothing(services):
    _import(services)
    again = _import(services)
    assert (again.story_created, again.comments_added, again.comments_seen) == (False, 0, 5)
    assert services.stories.get("s").comment_count == 5


MALFORMED = [
    ("no date here\n", 1, "date YYYY-MM-DD"),
    ("date 2024-13-45 Story\n", 1, "not a date"),
    ("date 2024-04-02 Story text.\n\nAFP\nBob\nBob Guest 6 blorps ago\n\nHello\n", 5, "6 blorps"),
    ("date 2024-04-02 Story text.\n\nAFP\nBob\nBob Guest 6 days ago\n\nHello\nAnn\nAnn Guest 2 days ago\n",
     8, "no text"),
    ("", 1, "empty"),
]


@pytest.mark.parametrize("text, line, words", MALFORMED)
def test_malformed_pages_name_the_line_and_write_nothing(services, text, line, words):
    with pytest.raises(ImportFormatError) as err:
        _import(services, text)
    assert err.value.line == line and words in err.value.message
    with pytest.raises(NotFound):
        services.stories.get("s")


def test_a_rule_broken_half_way_through_writing_names_the_line_and_leaves_nothing(services):
    text = EXAMPLE.read_text().replace("John\nJohn Guest 6 days ago", "J" * 60 + "\n" + "J" * 60 + " Guest 6 days ago")
    with pytest.raises(ImportFormatError) as err:  # the fourth comment's name is over 50 characters
        _import(services, text)
    assert err.value.line == 58 and "at most 50 characters" in err.value.message
    with pytest.raises(NotFound):
        services.stories.get("s")


def test_a_page_scraped_again_with_a_new_comment_adds_just_that(services):
    _import(services)
    text = EXAMPLE.read_text()
    at = text.index("Bob Boomhauer\nBob Boomhauer Guest 6 days ago")
    newer = text[:at] + "Zoe\nZoe Guest 1 hour ago\n\nFirst, now.\n\n" + text[at:]
    again = _import(services, newer)
    assert (again.comments_added, again.comments_seen) == (1, 6)
    assert services.stories.get("s").comment_count == 6


def test_staff_badges_are_kept():
    text = "date 2024-04-02 Story.\n\nAFP\nDesk\nDesk Staff 2 days ago\n\nCorrection appended.\n"
    (c,) = parse(text).comments
    assert c.badge == "Staff"


def test_mentions_pick_the_nearest_earlier_comment_by_that_name_in_the_thread():
    text = ("date 2024-04-02 Story.\n\nAFP\n"
            "Ann\nAnn Guest 5 days ago\n\nfirst\n\n"
            "Ann\nAnn Guest 4 days ago\n\nsecond, new thread\n\n"
            "Ben\nBen Guest 3 days ago\n\n@Ann, to the second\n\n"
            "Cy\nCy Guest 2 days ago\n\n@Nobody, not a reply\n")
    page = parse(text)
    assert [c.reply_to for c in page.comments] == [None, None, 1, None]
    # "@Ann" once a thread without Ann has begun starts a thread of its own.
    other = parse("date 2024-04-02 Story.\n\nAFP\n"
                  "Ann\nAnn Guest 5 days ago\n\nfirst\n\n"
                  "Ben\nBen Guest 4 days ago\n\na thread of Ben's\n\n"
                  "Cy\nCy Guest 3 days ago\n\n@Ann, late\n")
    assert [c.reply_to for c in other.comments] == [None, None, None]


@pytest.mark.parametrize("text, seconds", [("6 days", 6 * 86400), ("an hour", 3600), ("1 minute", 60),
                                           ("2 weeks", 14 * 86400), ("yesterday", 86400), ("just now", 0)])
def test_relative_ages(text, seconds):
    assert parse_age(text, 1).total_seconds() == seconds


def test_importing_needs_the_import_permission_and_a_refusal_writes_nothing(services):
    from parley.domain import Actor, Role
    from parley.errors import Forbidden

    with pytest.raises(Forbidden) as err:  # moderators manage stories, but do not import
        _import(services, actor=Actor(Role.MODERATOR, name="Mo"))
    assert err.value.field == "authorization"
    with pytest.raises(NotFound):
        services.stories.get("s")
    assert _import(services, actor=Actor(Role.ADMIN, name="Ada")).comments_added == 5


HEADLINE = "Blinken in Paris for talks on Ukraine and Gaza"
LEAD = EXAMPLE.read_text().splitlines()[0].strip().removeprefix("date 2024-04-02 ")


def test_a_headline_line_above_the_date_line_is_the_title(services):
    text = f"{HEADLINE}\n\n" + EXAMPLE.read_text()
    assert _import(services, text).comments_added == 5
    story = services.stories.get("s")
    assert story.title == HEADLINE
    assert story.paragraphs()[0] == LEAD  # the headline is not repeated in the body
    assert story.published_at == datetime(2024, 4, 2, tzinfo=timezone.utc) and story.credit == "AFP"


def test_lines_between_the_headline_and_the_date_line_open_the_body():
    standfirst = "The top US diplomat arrives as allies argue over arms for Kyiv."
    page = parse(f"{HEADLINE}\n{standfirst}\n" + EXAMPLE.read_text())
    assert page.title() == HEADLINE
    assert page.paragraphs[:2] == [standfirst, LEAD]


def test_line_numbers_count_the_lines_above_the_date_line():
    text = f"{HEADLINE}\n\ndate 2024-04-02 Story text.\n\nAFP\nBob\nBob Guest 6 blorps ago\n\nHello\n"
    with pytest.raises(ImportFormatError) as err:
        parse(text)
    assert err.value.line == 7
    with pytest.raises(ImportFormatError) as err:
        parse(f"{HEADLINE}\ndate 2024-13-45 Story\n")
    assert err.value.line == 2 and "not a date" in err.value.message


@pytest.mark.parametrize("opening", [f"date 2024-04-02 {HEADLINE}\n\n", f"date 2024-04-02\n{HEADLINE}\n\n",
                                     "date 2024-04-02 Will Blinken win Paris over?\n\n"])
def test_a_title_like_first_paragraph_is_the_headline(opening):
    text = opening + EXAMPLE.read_text().lstrip().removeprefix("date 2024-04-02 ")
    page = parse(text)
    assert page.title() == opening.removeprefix("date 2024-04-02").strip()
    assert page.paragraphs[0] == LEAD and page.credit == "AFP" and len(page.comments) == 5


@pytest.mark.parametrize("first", ["By Jane Doe", "PARIS (AFP) —", "Talks.", "Paris",
                                   "Talks in Paris, then Brussels:"])
def test_a_first_paragraph_that_is_not_a_headline_stays_in_the_body(first):
    page = parse(f"date 2024-04-02 {first}\n\nBlinken meets Macron on Tuesday.\n\nMore text.\n\nAFP\n")
    assert page.paragraphs[0] == first
    # The fallback reads the lead: the first paragraph that reads as prose.
    assert page.title() == ("Talks." if first == "Talks." else "Blinken meets Macron on Tuesday.")


def test_without_a_headline_the_title_is_the_lead_cut_at_a_word_with_an_ellipsis(services):
    _import(services)
    title = services.stories.get("s").title
    assert len(title) <= 150 and title.endswith("…") and not title.endswith(" …")
    kept = title.removesuffix("…")
    assert LEAD.startswith(kept) and LEAD[len(kept)] == " "  # cut between words, not inside one
    assert len(kept) > 100  # as much of the lead as fits, not a stub


def test_a_short_first_sentence_is_the_title_whole():
    page = parse("date 2024-04-02 Blinken meets Macron. He flies on to Brussels.\n\nAFP\n")
    assert page.title() == "Blinken meets Macron."


def test_a_lead_of_one_long_word_is_cut_inside_it():
    page = parse("date 2024-04-02 " + "x" * 400 + "\n")
    assert page.title() == "x" * 149 + "…"
