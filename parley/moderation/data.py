"""The labelled sets in ``../shared/data``, mapped onto Parley's labels, and the
seeded split that every model and every evaluation shares.

Each set labels different things, so each maps onto our labels differently; a label a
set does not speak to is ``nan`` (unknown), never 0, and training skips it for that row.

===================  ==========================================================================
set                  mapping onto toxicity, severe_toxicity, insult, profanity, threat, identity_attack
===================  ==========================================================================
jigsaw               toxic, severe_toxic, insult, obscene -> profanity, threat, identity_hate -> identity_attack
civil                toxic (share of raters) -> toxicity; insult, obscene -> profanity, threat,
                     identity_attack (share of raters who marked a span of that kind); severe unknown
toxic_spans          every post was rated toxic: toxicity 1, the rest unknown (its spans train
                     the span tagger); posts also in ``civil`` are taken from there
davidson             neither -> all 0; offensive -> toxicity 1; hate -> toxicity 1, identity_attack 1
olid                 NOT -> all 0; OFF -> toxicity 1; TIN (targeted) -> insult 1;
                     UNT (untargeted, i.e. profanity) -> profanity 1
hatexplain           normal -> all 0; offensive -> toxicity 1; hate -> toxicity 1, identity_attack 1
fox                  hateful -> toxicity 1; not -> toxicity 0; the rest unknown (Fox News reader
                     comments; the story's title and the comment before it are kept as context)
cat                  toxic -> toxicity 1, else 0; the rest unknown (Wikipedia replies, the parent
                     kept as context; the ``api`` column is a machine's score and is not read)
stormfront           hate -> toxicity 1, identity_attack 1; noHate -> both 0; "relation" (hate only
                     with the sentences around it) and idk/skip are left out
convabuse            abusive_majority -> toxicity 1, else 0; the rest unknown (messages to chat bots,
                     the bot's previous turn kept as context)
written              ``harm_train.jsonl`` in this package, written for Parley: harm without swear
                     words. implicit_threat -> toxicity 1, threat 1; identity_attack and
                     dehumanisation -> toxicity 1, identity_attack 1; insult -> toxicity 1, insult 1;
                     the benign counterparts (violent news, idioms, identity statements, metaphors,
                     disagreement, quoted abuse condemned) -> all 0
===================  ==========================================================================

The split is by the text itself (a hash of its normalised form), so one text is in
the same split in every set it appears in, and the split does not move when a file
gains rows. ``HELD_OUT_SHARE`` of the rows are held out from every model.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import hashlib
import json
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path

NAN = float("nan")
MODEL_LABELS: tuple[str, ...] = ("toxicity", "severe_toxicity", "insult", "profanity", "threat", "identity_attack")
HELD_OUT_SHARE = 0.15
SETS = ("jigsaw", "civil", "toxic_spans", "davidson", "olid", "hatexplain", "fox", "cat", "stormfront", "convabuse",
        "written")
WRITTEN = "written"
# Written for Parley, kept apart from the challenge set and harm_dev.jsonl (whose
# near-copies were dropped from it): nothing measured there is learned here.
WRITTEN_FILE = Path(__file__).with_name("harm_train.jsonl")
# alt-profanity-check was trained on all of these rows: never evaluate it on them.
SEEN_BY_BASELINE = frozenset({"jigsaw", "davidson"})


def data_dir() -> Path:
    """``PARLEY_DATA`` or ``../shared/data`` beside the checkout."""
    env = os.environ.get("PARLEY_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


@dataclasses.dataclass(frozen=True)
class Row:
    source: str
    text: str
    targets: tuple[float, ...]  # one per MODEL_LABELS; nan where the set does not say
    spans: tuple[int, ...] | None = None  # toxic character offsets, where the set has them
    # What the text answers, where the set says: the comment before it (its parent) and
    # the story's title. Raters of these sets saw it (CAT-LARGE: half of them).
    parent: str = ""
    title: str = ""

    @property
    def held_out(self) -> bool:
        return is_held_out(self.text)

    def target(self, label: str) -> float:
        return self.targets[MODEL_LABELS.index(label)]


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def is_held_out(text: str) -> bool:
    digest = hashlib.blake2b(normalised(text).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < HELD_OUT_SHARE


def _t(toxicity=NAN, severe=NAN, insult=NAN, profanity=NAN, threat=NAN, identity=NAN) -> tuple[float, ...]:
    return (toxicity, severe, insult, profanity, threat, identity)


_ZERO = _t(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _float(value: str) -> float:
    return float(value) if value not in ("", None) else NAN


def _csv(name: str, delimiter: str = ",") -> Iterator[dict]:
    with open(data_dir() / name, encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f, delimiter=delimiter)


def _jigsaw() -> Iterator[Row]:
    for r in _csv("jigsaw_train_sample.csv"):
        yield Row("jigsaw", r["comment_text"], _t(float(r["toxic"]), float(r["severe_toxic"]), float(r["insult"]),
                                                   float(r["obscene"]), float(r["threat"]), float(r["identity_hate"])))


def _civil() -> Iterator[Row]:
    for r in _csv("civil_comments_rated.csv"):
        yield Row("civil", r["comment_text"], _t(_float(r["toxic"]), NAN, _float(r["insult"]), _float(r["obscene"]),
                                                  _float(r["threat"]), _float(r["identity_attack"])))


def read_spans(name: str) -> Iterator[tuple[str, tuple[int, ...]]]:
    for r in _csv(name):
        yield r["text"], tuple(ast.literal_eval(r["spans"]))


def _toxic_spans() -> Iterator[Row]:
    for text, spans in read_spans("toxic_spans_train.csv"):
        yield Row("toxic_spans", text, _t(1.0), spans)


def _davidson() -> Iterator[Row]:
    for r in _csv("davidson_tweets.csv"):
        cls = int(r["class"])
        targets = _ZERO if cls == 2 else _t(1.0) if cls == 1 else _t(1.0, identity=1.0)
        yield Row("davidson", r["tweet"], targets)


def _olid() -> Iterator[Row]:
    for r in _csv("olid_train.tsv", delimiter="\t"):
        if r["subtask_a"] == "NOT":
            targets = _ZERO
        elif r["subtask_b"] == "TIN":
            targets = _t(1.0, insult=1.0)
        else:
            targets = _t(1.0, profanity=1.0)
        yield Row("olid", r["tweet"], targets)


def _hatexplain() -> Iterator[Row]:
    for r in _csv("hatexplain.csv"):
        cls = int(r["label"])
        targets = _ZERO if cls == 0 else _t(1.0) if cls == 1 else _t(1.0, identity=1.0)
        yield Row("hatexplain", r["text"], targets)


def _fox() -> Iterator[Row]:
    for r in _csv("fox_news_comments.csv"):
        yield Row("fox", r["text"], _t(float(r["label"])), parent=r["prev"], title=r["title"])


def _cat() -> Iterator[Row]:
    for r in _csv("cat_large_wikipedia_context.csv"):
        yield Row("cat", r["text"], _t(float(r["label"])), parent=r["parent"])


def _stormfront() -> Iterator[Row]:
    for r in _csv("stormfront_de_gibert.csv"):
        if r["label"] in ("hate", "noHate"):
            hate = float(r["label"] == "hate")
            yield Row("stormfront", r["text"], _t(hate, identity=hate))


def _convabuse() -> Iterator[Row]:
    for r in _csv("convabuse.csv"):
        yield Row("convabuse", r["text"], _t(float(r["abusive_majority"])), parent=r["agent"] or r["prev_agent"])


_WRITTEN_TARGETS = {"implicit_threat": ("threat",), "identity_attack": ("identity_attack",),
                    "dehumanisation": ("identity_attack",), "insult": ("insult",)}


def _written() -> Iterator[Row]:
    with open(WRITTEN_FILE, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                item = json.loads(line)
                if not item["harmful"]:
                    yield Row(WRITTEN, item["text"], _ZERO)
                    continue
                targets = [1.0] + [NAN] * (len(MODEL_LABELS) - 1)
                for label in _WRITTEN_TARGETS.get(item["kind"], ()):
                    targets[MODEL_LABELS.index(label)] = 1.0
                yield Row(WRITTEN, item["text"], tuple(targets))


_READERS = {"jigsaw": _jigsaw, "civil": _civil, "toxic_spans": _toxic_spans, "davidson": _davidson,
            "olid": _olid, "hatexplain": _hatexplain, "fox": _fox, "cat": _cat, "stormfront": _stormfront,
            "convabuse": _convabuse, "written": _written}
# The files each set is read from, for the manifest's record of what trained a model.
FILES = {"jigsaw": ("jigsaw_train_sample.csv",), "civil": ("civil_comments_rated.csv",),
         "toxic_spans": ("toxic_spans_train.csv", "toxic_spans_trial.csv"), "davidson": ("davidson_tweets.csv",),
         "olid": ("olid_train.tsv",), "hatexplain": ("hatexplain.csv",), "fox": ("fox_news_comments.csv",),
         "cat": ("cat_large_wikipedia_context.csv",), "stormfront": ("stormfront_de_gibert.csv",),
         "convabuse": ("convabuse.csv",), "written": ()}


def load(sets: tuple[str, ...] = SETS) -> list[Row]:
    """Every row of the named sets, each text once per set, in file order.

    A text that ``civil`` rates is dropped from ``toxic_spans`` (same posts, better
    labels there); empty texts are dropped."""
    rows: list[Row] = []
    civil_texts: set[str] = set()
    for name in sets:
        seen: set[str] = set()
        for row in _READERS[name]():
            key = normalised(row.text)
            if not key or key in seen:
                continue
            if name == "toxic_spans" and key in civil_texts:
                continue
            seen.add(key)
            if name == "civil":
                civil_texts.add(key)
            rows.append(row)
    return rows


def binary(value: float) -> int:
    """A target as a class: civil's shares count as toxic when half the raters said so."""
    return int(value >= 0.5)


def known(value: float) -> bool:
    return not math.isnan(value)


def trial_texts() -> set[str]:
    """The Toxic Spans trial posts: spans are scored on them, so no model learns them."""
    return {normalised(text) for text, _ in read_spans("toxic_spans_trial.csv")}


def training_rows(rows: list[Row] | None = None) -> list[Row]:
    """Rows a model may learn from: not held out, not a span-evaluation post."""
    trial = trial_texts()
    return [r for r in (rows if rows is not None else load())
            if not r.held_out and normalised(r.text) not in trial]


def held_out_rows(rows: list[Row] | None = None) -> list[Row]:
    return [r for r in (rows if rows is not None else load()) if r.held_out]
