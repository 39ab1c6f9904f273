"""Comments posted together are scored together.

A post's comment is scored on its own thread of the server's pool, and one comment costs
the models nearly what a batch of them does (numpy and onnxruntime spend most of a small
call on the call: about 3.5 ms for one comment, 0.7 ms a comment in a batch of eight, on
one core). So while one batch is being scored, the posts that arrive wait and go in the
next batch together, as a database groups the commits that arrive during a flush. A post
that arrives when nothing is being scored is scored at once: one writer waits for
nothing.

Each batch is scored by the thread of its first post, which then hands the next batch
to the thread of the first post still waiting; no lock is held while scoring.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


class _Slot(Generic[Job, Result]):
    __slots__ = ("job", "result", "error", "done", "lead")

    def __init__(self, job: Job) -> None:
        self.job = job
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.lead = False  # woken to score the next batch, not with a result


class Batcher(Generic[Job, Result]):
    """``submit(job)`` returns ``run([...jobs])``'s result for ``job``; jobs submitted
    while a batch runs are run together in the next one (at most ``max_batch``)."""

    def __init__(self, run: Callable[[Sequence[Job]], Sequence[Result]], max_batch: int = 64) -> None:
        self._run = run
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: list[_Slot[Job, Result]] = []
        self._running = False
        self.batches = 0  # batches run, for tests and benchmarks

    def submit(self, job: Job) -> Result:
        slot: _Slot[Job, Result] = _Slot(job)
        with self._lock:
            self._waiting.append(slot)
            leads = not self._running
            self._running = True
        if not leads:
            slot.done.wait()
            if not slot.lead:
                return self._outcome(slot)
        with self._lock:  # this slot is first in line: the batch holds it
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
        self._score(batch)
        with self._lock:
            if self._waiting:
                following = self._waiting[0]
                following.lead = True
                following.done.set()
            else:
                self._running = False
        return self._outcome(slot)

    def _score(self, batch: list[_Slot[Job, Result]]) -> None:
        self.batches += 1
        try:
            results = self._run([s.job for s in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
            for s, result in zip(batch, results, strict=True):
                s.result = result
        except BaseException as exc:  # every post of the batch learns of it, in its own thread
            for s in batch:
                s.error = exc
        for s in batch:
            s.lead = False
            s.done.set()

    @staticmethod
    def _outcome(slot: _Slot[Job, Result]) -> Result:
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]
