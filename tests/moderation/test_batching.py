"""Posts scored together (parley/moderation/batching.py): real threads, a run function
that can be held, so that the test decides what arrives while a batch is being scored."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from parley.moderation.batching import Batcher
from parley.moderation.moderator import shipped


class Held:
    """A run function whose first batch waits until the test lets it go."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, jobs):
        self.batches.append(list(jobs))
        if len(self.batches) == 1:
            self.started.set()
            assert self.release.wait(10)
        if any(j < 0 for j in jobs):
            raise ValueError("negative")
        return [j * 10 for j in jobs]


def _wait_for(predicate) -> None:
    deadline = threading.Event()
    for _ in range(500):
        if predicate():
            return
        deadline.wait(0.01)
    raise AssertionError("timed out")


def test_a_job_alone_is_run_at_once_and_alone():
    run = Held()
    run.release.set()
    batcher = Batcher(run)
    assert batcher.submit(4) == 40
    assert run.batches == [[4]]


def _behind_a_held_batch(batcher: Batcher, run: Held, first: int, later: list[int]) -> list:
    """Submit ``first``, hold its batch until ``later`` all wait behind it, then let go:
    each job's result, or the exception it raised."""
    def outcome(future):
        try:
            return future.result(10)
        except Exception as exc:  # the test looks at which
            return exc

    with ThreadPoolExecutor(len(later) + 1) as pool:
        head = pool.submit(batcher.submit, first)
        assert run.started.wait(10)
        rest = [pool.submit(batcher.submit, n) for n in later]
        _wait_for(lambda: len(batcher._waiting) == len(later))
        run.release.set()
        return [outcome(f) for f in [head, *rest]]


def test_jobs_that_arrive_during_a_batch_go_together_in_the_next():
    run = Held()
    results = _behind_a_held_batch(Batcher(run), run, 1, list(range(2, 8)))
    assert results == [n * 10 for n in range(1, 8)]  # each its own result
    assert run.batches[0] == [1] and sorted(run.batches[1]) == list(range(2, 8)) and len(run.batches) == 2


def test_a_batch_holds_at_most_max_batch():
    run = Held()
    results = _behind_a_held_batch(Batcher(run, max_batch=4), run, 1, list(range(2, 12)))
    assert results == [n * 10 for n in range(1, 12)]
    assert [len(b) for b in run.batches] == [1, 4, 4, 2]


def test_an_error_reaches_every_job_of_its_batch_and_the_next_batch_runs():
    run = Held()
    batcher = Batcher(run)
    first, *bad = _behind_a_held_batch(batcher, run, 1, [-1, 2])
    assert first == 10
    assert all(isinstance(b, ValueError) and "negative" in str(b) for b in bad)
    assert batcher.submit(3) == 30  # and it goes on


def test_posts_scored_together_get_the_verdicts_they_get_alone():
    moderator = shipped()
    texts = ["You are a pathetic idiot and everyone here knows it.", "Thanks for the clear reporting.",
             "Buy cheap pills now at www.pills-cheap.xyz www.pills-cheap.top", "The council meets on Tuesday.",
             "What a stupid, dishonest article.", "I disagree with the second paragraph."] * 4
    alone = [moderator.assess([t])[0] for t in texts]
    with ThreadPoolExecutor(8) as pool:  # however they fall into batches
        together = list(pool.map(moderator.assess_one, texts))
    assert [(v.action, v.scores, v.spans) for v in together] == [(v.action, v.scores, v.spans) for v in alone]
