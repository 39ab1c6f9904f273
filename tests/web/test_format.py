"""How flagged words are cut out of a writer's text for the page to mark."""

from __future__ import annotations

from parley.web.format import flagged_runs

BODY = "The library budget agenda for the meeting: click here."


def test_runs_cover_the_text_with_the_flagged_words_labelled():
    runs = flagged_runs(BODY, [{"start": 43, "end": 53, "label": "spam", "text": "click here"}])
    assert runs == [(BODY[:43], None), ("click here", "spam"), (".", None)]
    assert "".join(text for text, _ in runs) == BODY


def test_no_spans_is_one_plain_run_and_empty_text_none():
    assert flagged_runs(BODY, []) == [(BODY, None)]
    assert flagged_runs("", [{"start": 0, "end": 3, "label": "insult"}]) == []


def test_overlapping_unsorted_and_out_of_range_spans_never_repeat_or_lose_text():
    spans = [{"start": 10, "end": 20, "label": "insult"}, {"start": 0, "end": 3, "label": "toxicity"},
             {"start": 15, "end": 25, "label": "profanity"}, {"start": 50, "end": 99, "label": "spam"},
             {"start": 70, "end": 80, "label": "spam"}]
    runs = flagged_runs(BODY, spans)
    assert "".join(text for text, _ in runs) == BODY
    assert runs == [("The", "toxicity"), (BODY[3:10], None), (BODY[10:20], "insult"), (BODY[20:25], "profanity"),
                    (BODY[25:50], None), (BODY[50:], "spam")]
