from parley.moderation import Context, check_scorer
from parley.moderation.spam import SpamScorer
from tests.conftest import EXAMPLE

SPAM = [
    "Earn $5000 a week working from home!!! Click here: http://cash.example.xyz and www.more-cash.biz",
    "Buy now buy now buy now buy now buy now buy now buy now buy now",
    "Best casino bonus, DM me for free followers, whatsapp me",
]


def _example_comments() -> list[str]:
    text = EXAMPLE.read_text()
    return ["Blinken prides himself on always bringing up the importance of LGBTQ rights when he meets",
            text[text.index("Excellent news regarding"):text.index("Molotov\nMolotov")].strip(),
            "More billions for more dead Ukrainians and Russians. When two people argue, the third one is happy.."]


def test_conforms():
    check_scorer(SpamScorer(), SPAM + _example_comments(), None)


def test_spam_scores_high_and_real_discussion_low():
    scorer = SpamScorer()
    spam = [s.values["spam"] for s in scorer.score(SPAM)]
    ham = [s.values["spam"] for s in scorer.score(_example_comments())]
    assert min(spam) > 0.8, spam
    assert max(ham) < 0.3, ham


def test_one_link_in_an_argument_is_not_spam():
    text = "The minister said so, see https://news.example.org/blinken-paris for the quote."
    (s,) = SpamScorer().score([text])
    assert s.values["spam"] < 0.5
    link = "https://news.example.org/blinken-paris"
    assert [(x.start, x.end) for x in s.spans] == [(text.index(link), text.index(link) + len(link))]


def test_flooding_the_same_comment_counts():
    text = "Ukraine will win this war, mark my words, everyone should see it."
    alone, repeated = SpamScorer().score([text, text], [Context(), Context(author_recent_texts=(text + "!",))])
    assert repeated.values["spam"] > alone.values["spam"] + 0.5


def test_repetition_counts_in_any_script():
    for run in ("!!!!!!!!!!!!", "éééééééééééé", "аааааааааааа", "😡😡😡😡😡😡😡😡😡😡😡😡"):
        text = f"Look at this {run} and think"
        (s,) = SpamScorer().score(["A plain comment about the meeting.", text])[1:]
        assert [(x.start, x.end) for x in s.spans] == [(text.index(run), text.index(run) + len(run))], run


def test_repetition_of_invisible_or_expanding_characters_counts_once():
    # Zero-width spaces leave no bytes to find a run in, and "İ" folds to two characters.
    for run in ("\u200b" * 12, "İ" * 12):
        text = f"Look{run} at this {'!' * 11}"
        (s,) = SpamScorer().score([text])
        bang = text.index("!")
        assert [(x.start, x.end) for x in s.spans] == [(4, 16), (bang, bang + 11)], run


def test_an_advert_crosses_the_hold_threshold_with_one_link():
    # Issue 11: pill spam with two links scored 0.67, under the hold threshold (0.8).
    ads = ["Cheap v1agra and c!alis, 70% off, no prescription needed. Order now: pills-direct.shop",
           "I made $6,400 last month working two hours a day from my kitchen. Start here: bit.ly/kitchen-cash",
           "Instant approval loans up to $3,000, bad credit OK. WhatsApp +1 555 010 7788"]
    assert all(s.values["spam"] >= 0.8 for s in SpamScorer().score(ads)), [s.values for s in SpamScorer().score(ads)]


def test_talking_about_what_spam_sells_is_not_spam():
    talk = ["The casino promised 800 jobs and delivered 200.", "I took out a payday loan once; never again.",
            "Bitcoin fell 10% today after the regulation news.", "Viagra was first tested as a heart drug.",
            "Call me old-fashioned, but the council should listen.", "@John, you are right about the council.",
            "The full story at bbc.com is better than this one."]
    assert max(s.values["spam"] for s in SpamScorer().score(talk)) < 0.5


def test_signs_mark_the_words_that_gave_them_away_once():
    text = "Free trial at bit.ly/free-pills, WhatsApp me"
    (s,) = SpamScorer().score([text])
    marked = [text[x.start:x.end] for x in s.spans]
    assert "bit.ly/free-pills," in marked or "bit.ly/free-pills" in marked
    assert all(a.end <= b.start for a, b in zip(s.spans, s.spans[1:], strict=False))  # joined where they overlap


def test_the_flood_check_skips_only_pairs_that_cannot_reach_the_threshold():
    from difflib import SequenceMatcher

    from parley.moderation.spam import _similarity

    base = "The council will vote on the new bus lane after the summer recess, the mayor said."
    pairs = [(base, base), (base, base.replace("summer", "winter")), (base, base + " Really."),
             (base, "Comment number 2."), (base, base[::-1]), ("Comment number 1.", "Comment number 2."),
             ("", base), ("", "")]
    for text, earlier in pairs:
        ratio = SequenceMatcher(None, text, earlier).ratio()
        assert _similarity(text, earlier, 0.9) == (ratio if ratio >= 0.9 else 0.0)
    assert _similarity(base, base.replace("summer", "winter"), 0.9) > 0.9  # a near-copy is still caught
