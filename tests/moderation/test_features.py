import numpy as np

from parley.moderation import features


def test_each_text_owns_a_contiguous_run_of_its_ngrams():
    texts = ["Hello there", "", "ÄÖÜ straße", "x"]
    batch = features.encode(texts)
    for occ in features.occurrences(batch, 2**12):
        assert len(occ.bounds) == len(texts) + 1
        assert (np.diff(occ.bounds) >= 0).all()
        assert occ.bounds[-1] == len(occ.index)
    # The empty text has no words; the others do.
    words = features.words(batch, features.word_hashes(batch), 2**12)
    assert np.diff(words.bounds).tolist() == [2, 0, 2, 1]


def test_hashes_are_the_same_in_any_batch_and_process():
    alone = features.word_hashes(features.encode(["idiot"]))
    among = features.word_hashes(features.encode(["you are an idiot"]))
    assert alone[0] == among[-1]
    # A fixed arithmetic hash, not Python's salted one: this value never changes.
    assert int(alone[0]) == int(features.word_hashes(features.encode(["IDIOT"]))[0])


def test_ngrams_do_not_cross_from_one_text_into_the_next():
    batch = features.encode(["ab", "cd"])
    (bigrams,) = features.char_ngrams(batch, (2, 2), 2**16)
    alone = [features.char_ngrams(features.encode([t]), (2, 2), 2**16)[0].index for t in ("ab", "cd")]
    first = bigrams.index[bigrams.bounds[0]:bigrams.bounds[1]]
    assert sorted(i for i in first if i) == sorted(i for i in alone[0] if i)


def test_char_range_maps_bytes_back_to_characters():
    texts = ["plain idiot", "naïve idiot 🙂 idiot", "İstanbul idiot", "ΣΑΣ idiot…idiot"]
    batch = features.encode(texts)
    found = []
    for k in range(len(batch.word_starts)):
        t = int(batch.word_text[k])
        lo, hi = batch.char_range(t, int(batch.word_starts[k]), int(batch.word_ends[k]))
        found.append((t, texts[t][lo:hi]))
    assert found == [(0, "plain"), (0, "idiot"), (1, "naïve"), (1, "idiot"), (1, "idiot"),
                     (2, "İstanbul"), (2, "idiot"), (3, "ΣΑΣ"), (3, "idiot"), (3, "idiot")]


def test_curly_quotes_and_emoji_do_not_stick_to_words():
    plain = features.word_hashes(features.encode(['You are an "idiot"... idiot!']))
    fancy = features.word_hashes(features.encode(["You are an “idiot”… idiot😡"]))
    assert plain.tolist() == fancy.tolist()
    assert features.fold("It’s “fine” — really") == "it's \"fine\" - really"


def test_invisible_characters_do_not_split_words():
    hidden = features.encode(["f\u200buck you id\u00adiot"])
    plain = features.encode(["fuck you idiot"])
    assert features.word_hashes(hidden).tolist() == features.word_hashes(plain).tolist()
    text = "f\u200buck you"
    assert text[slice(*hidden.char_range(0, int(hidden.word_starts[0]), int(hidden.word_ends[0])))] == "f\u200buck"


def test_summed_adds_repeated_ngrams_and_every_kind():
    batch = features.encode(["idiot idiot", "", "you idiot"])
    hashes = features.word_hashes(batch)
    kinds = [features.words(batch, hashes, 2**10), features.word_bigrams(batch, hashes, 2**10)]
    table = np.ones((2**10, 2), dtype=np.float32)
    table[0] = 0  # the null feature: a bigram across two texts
    # Per text: its words plus its word pairs ("idiot idiot": 2 + 1; "you idiot": 2 + 1).
    assert features.summed(kinds, 3, 2**10, table).tolist() == [[3, 3], [0, 0], [3, 3]]


def test_texts_holding_each_finds_what_a_byte_search_finds_in_a_small_and_a_large_batch():
    rng = np.random.default_rng(5)
    words = ["buy", "pills", "pillow", "casino", "case", "www.", ".com", ".co", "$", "seo", "seoul", "repl", "reply"]
    texts = [" ".join(rng.choice(words + ["the", "a", "news", "of"], size=rng.integers(1, 9))) for _ in range(9000)]
    needles = (b"pills", b"pillow", b"casino", b"www.", b".com", b".co", b"$", b"seo", b"reply", b"repla")
    small, large = features.encode(texts[:20]), features.encode(texts)
    # One batch below the size where the hashed search starts, one above it.
    assert len(small.folded()) < features._BYTE_SEARCH_BELOW <= len(large.folded())
    for batch in (small, large):
        found = features.texts_holding_each(batch, needles)
        for needle in needles:
            expected = {i for i, t in enumerate(batch.texts) if needle in features.fold(t).encode()}
            assert found[needle] == expected, needle
        assert features.texts_holding(batch, needles[:3]) == found[b"pills"] | found[b"pillow"] | found[b"casino"]
    assert not features.texts_holding_each(large, (b"repla",))[b"repla"]


def test_an_empty_text_alone_has_only_the_null_feature():
    # Its buffer ("  " and the closing 0) is shorter than the longest character n-gram.
    kinds = features.occurrences(features.encode([""]), 2**12)
    assert len(kinds) == 5
    for occ in kinds:
        assert occ.bounds.tolist() == [0, len(occ.index)] and not occ.index.any()
