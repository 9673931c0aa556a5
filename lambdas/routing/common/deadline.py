"""A per-call time budget for store I/O: one deadline, one reusable worker thread, a circuit breaker.

Socket timeouts alone cannot bound a call: a server that trickles bytes resets botocore's read timeout on every
byte, retries multiply it, and a cold container pays several requests in a row. So every store request of a call
runs on one worker thread and the caller stops waiting at the call's deadline. The request it abandoned keeps the
worker until its own socket timeout ends it; meanwhile the gate is *busy* and later requests fail at once
(``StoreSkipped``) instead of waiting, and after a deadline expiry the gate stays *open* for ``retry_seconds``
(then one request tries again: half-open). Callers turn both errors into their fallback (last known good, the
baked version, "unknown" metrics) — the same path as any other store failure.

No AWS import and no thread at module import; the worker starts on the first request (or ``warm_up``).

Usage (one gate per container, shared by every store of a function)::

    gate = StoreGate(budget_seconds=1.0, retry_seconds=5.0)
    with gate.call():                        # one deadline for everything inside
        pointer = gate.run(store.get_pointer)
        document = gate.run(lambda: store.load_document(pointer.version_id))
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

CLOSED, OPEN, BUSY = "closed", "open", "busy"


class StoreUnavailableError(Exception):
    """The store was not asked, or not waited for: the call must decide without it."""


class DeadlineExceededError(StoreUnavailableError):
    """The request did not finish before the call's deadline (the gate stopped waiting)."""


class StoreSkippedError(StoreUnavailableError):
    """The request was not sent: the budget was already spent, an earlier request still hangs, or the breaker is
    open after a recent deadline expiry."""


@dataclass(slots=True)
class GateStats:
    """Counters since the gate was built (tests and the fault bench read them; logs carry them)."""

    requests: int = 0  # handed to the worker
    completed: int = 0  # returned (value or error) before the deadline
    deadline_exceeded: int = 0  # the caller stopped waiting
    skipped: int = 0  # refused without waiting (budget spent / busy / open)
    late_returns: int = 0  # abandoned requests that came back after their caller left


class _Job:
    __slots__ = ("done", "error", "fn", "value")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class StoreGate:
    """Runs store requests on one daemon worker thread, each bounded by the current call's deadline.

    ``budget_seconds``: the whole store budget of one call (every request inside one ``call()`` shares it; a
    request outside any ``call()`` gets a budget of its own). ``retry_seconds``: how long the breaker stays open
    after a deadline expiry. Single caller at a time (a Lambda environment handles one event at a time); the
    worker only touches the job it runs, and the few shared fields are guarded by a lock.
    """

    def __init__(
        self,
        *,
        budget_seconds: float,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        name: str = "store",
    ) -> None:
        self.budget_seconds = budget_seconds
        self.retry_seconds = retry_seconds
        self.name = name
        self.stats = GateStats()
        self._clock = clock
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._hung: _Job | None = None  # the abandoned request still running on the worker
        self._open_until = 0.0
        self._deadline: float | None = None

    # --- the call's deadline ---------------------------------------------------------------------------------

    @contextmanager
    def call(self, budget_seconds: float | None = None) -> Iterator[None]:
        """One deadline (now + budget) for every ``run`` inside the block; nested blocks share the outer one.
        ``budget_seconds`` overrides the per-call budget for this block (the init phase has a budget of its own)."""
        if self._deadline is not None:
            yield
            return
        self._deadline = self._clock() + (self.budget_seconds if budget_seconds is None else budget_seconds)
        try:
            yield
        finally:
            self._deadline = None

    def remaining(self) -> float:
        """Seconds left in the current call's budget (the whole budget outside a call)."""
        if self._deadline is None:
            return self.budget_seconds
        return max(0.0, self._deadline - self._clock())

    @property
    def state(self) -> str:
        """``busy`` while an abandoned request still runs, ``open`` during the retry interval after a deadline
        expiry, else ``closed`` (requests go through)."""
        with self._lock:
            if self._hung is not None:
                return BUSY
            return OPEN if self._clock() < self._open_until else CLOSED

    # --- running requests ------------------------------------------------------------------------------------

    def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the worker, waiting at most until the deadline. Returns its value or re-raises its error;
        raises ``DeadlineExceededError`` when the wait was cut, ``StoreSkippedError`` when nothing was sent."""
        state = self.state
        remaining = self.remaining()
        if state != CLOSED or remaining <= 0:
            self.stats.skipped += 1
            reason = state if state != CLOSED else "budget spent"
            raise StoreSkippedError(f"{self.name}: not asked ({reason})")
        job = _Job(fn)
        self._ensure_worker()
        self.stats.requests += 1
        self._jobs.put(job)
        if not job.done.wait(remaining):
            with self._lock:
                if not job.done.is_set():  # re-check: it may have finished between the wait and the lock
                    self._hung = job
                    self._open_until = self._clock() + self.retry_seconds
                    self.stats.deadline_exceeded += 1
                    raise DeadlineExceededError(f"{self.name}: no answer within {self.budget_seconds:g} s budget")
        self.stats.completed += 1
        if job.error is not None:
            raise job.error
        return job.value  # type: ignore[no-any-return]

    def warm_up(self) -> None:
        """Start the worker thread now (init phase) rather than inside the first call's budget."""
        self._ensure_worker()

    def renew(self) -> None:
        """After a snapshot restore: a request hung across the snapshot waits on a connection that no longer
        exists, and a breaker opened at init is about a network the restored environment does not share. Forget
        both and start a new worker on a new queue; an old worker still stuck ends with its socket timeout and
        then waits on its own, abandoned queue (it never takes a new request)."""
        with self._lock:
            self._hung = None
            self._open_until = 0.0
            self._jobs = queue.SimpleQueue()
            self._worker = None
        self._ensure_worker()

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(
                target=self._work, args=(self._jobs,), name=f"{self.name}-gate", daemon=True
            )
            self._worker.start()

    def _work(self, jobs: queue.SimpleQueue[_Job]) -> None:
        while True:
            job = jobs.get()
            try:
                job.value = job.fn()
            except BaseException as exc:  # noqa: BLE001 — handed to the waiting caller (or dropped if it left)
                job.error = exc
            with self._lock:
                job.done.set()
                if self._hung is job:
                    self._hung = None
                    self.stats.late_returns += 1
