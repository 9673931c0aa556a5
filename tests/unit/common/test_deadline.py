"""``routing.common.deadline.StoreGate``: one deadline per call, a hung request never waited for twice, the breaker's
retry interval. Hung requests are ``threading.Event`` waits (no sockets); time is a real monotonic clock plus an
offset the test moves, so the deadline is asserted by the gate's state and counters, never by a timing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from routing.common.deadline import (
    BUSY,
    CLOSED,
    OPEN,
    DeadlineExceededError,
    StoreGate,
    StoreSkippedError,
)


class Clock:
    """Real monotonic time (``Event.wait`` is real) plus a jump the test controls."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


def _gate(budget: float = 0.05, retry: float = 5.0) -> tuple[StoreGate, Clock]:
    clock = Clock()
    return StoreGate(budget_seconds=budget, retry_seconds=retry, clock=clock, name="test"), clock


def test_a_request_inside_the_budget_returns_its_value_or_raises_its_error() -> None:
    gate, _ = _gate(budget=5.0)
    assert gate.run(lambda: 42) == 42

    def fails() -> int:
        raise KeyError("no such item")

    with pytest.raises(KeyError):
        gate.run(fails)
    assert (gate.stats.requests, gate.stats.completed, gate.stats.deadline_exceeded) == (2, 2, 0)
    assert gate.state == CLOSED


def test_a_hung_request_is_cut_at_the_deadline_and_later_requests_are_not_sent_while_it_hangs() -> None:
    gate, clock = _gate()
    release = threading.Event()
    sent: list[str] = []
    with pytest.raises(DeadlineExceededError):
        gate.run(release.wait)
    assert (gate.stats.deadline_exceeded, gate.state) == (1, BUSY)
    # While it hangs, even after the retry interval, nothing else is sent and nobody waits.
    clock.offset += 60
    for _ in range(5):
        with pytest.raises(StoreSkippedError):
            gate.run(lambda: sent.append("x"))
    assert (sent, gate.stats.skipped, gate.stats.requests) == ([], 5, 1)
    # It comes back: the breaker is half-open (retry interval already past), the next request goes through.
    release.set()
    _wait_for(lambda: gate.stats.late_returns == 1)
    assert gate.state == CLOSED
    assert gate.run(lambda: "fresh") == "fresh"


def test_after_a_deadline_expiry_the_breaker_stays_open_for_the_retry_interval() -> None:
    gate, clock = _gate(retry=5.0)
    release = threading.Event()
    with pytest.raises(DeadlineExceededError):
        gate.run(release.wait)
    release.set()
    _wait_for(lambda: gate.stats.late_returns == 1)
    assert gate.state == OPEN  # returned, but the store was slow a moment ago: do not make the next call pay
    with pytest.raises(StoreSkippedError, match="open"):
        gate.run(lambda: 1)
    clock.offset += 5.0
    assert gate.state == CLOSED
    assert gate.run(lambda: 1) == 1


def test_every_request_of_one_call_shares_one_deadline() -> None:
    gate, clock = _gate(budget=1.0)
    sent: list[str] = []

    def slow_pointer() -> str:
        clock.offset += 1.0  # this request spent the whole budget (simulated)
        return "v1"

    with gate.call():
        assert gate.run(slow_pointer) == "v1"
        assert gate.remaining() == 0.0
        with pytest.raises(StoreSkippedError, match="budget spent"):
            gate.run(lambda: sent.append("chunks"))
    assert sent == []
    # The next call has a budget of its own; outside a call every request does too.
    with gate.call():
        assert gate.remaining() > 0.5
        assert gate.run(lambda: "ok") == "ok"
    assert gate.run(slow_pointer) == "v1"
    assert gate.run(lambda: "ok") == "ok"


def test_nested_calls_share_the_outer_deadline() -> None:
    gate, clock = _gate(budget=1.0)
    with gate.call():
        clock.offset += 0.8
        with gate.call():
            assert gate.remaining() < 0.25


def test_the_worker_thread_is_reused() -> None:
    gate, _ = _gate(budget=5.0)
    names = {gate.run(threading.get_ident) for _ in range(20)}
    assert len(names) == 1


def test_no_thread_and_no_aws_import_until_used() -> None:
    code = (
        "import sys, threading; import routing.common.deadline as d; g = d.StoreGate(budget_seconds=1.0); "
        "print(threading.active_count(), any(m.split('.')[0] in ('botocore', 'boto3', 'pynamodb') "
        "for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "False"]


def _wait_for(condition: object, limit: float = 5.0) -> None:
    end = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < end, "condition never became true"
        time.sleep(0.005)


def test_init_has_a_budget_of_its_own() -> None:
    gate, _ = _gate(budget=0.3)
    with gate.call(2.0):
        assert 1.9 < gate.remaining() <= 2.0
    with gate.call():
        assert gate.remaining() <= 0.3


def test_renew_forgets_a_request_hung_across_a_snapshot_and_serves_from_a_new_worker() -> None:
    # Given a request that hung past its deadline (busy), as init's read may have when the snapshot was taken
    gate, _ = _gate(retry=60.0)
    release = threading.Event()
    stuck: list[int] = []

    def hang() -> None:
        stuck.append(threading.get_ident())
        release.wait()
        stuck.append(0)  # returned

    with pytest.raises(DeadlineExceededError):
        gate.run(hang)
    assert gate.state == BUSY
    # When the environment is restored
    gate.renew()
    # Then requests go through at once, on a new worker
    assert gate.state == CLOSED
    fresh = gate.run(threading.get_ident)
    assert fresh != stuck[0]
    # And the old worker, once its request returns, takes no new request
    release.set()
    _wait_for(lambda: len(stuck) == 2)
    assert {gate.run(threading.get_ident) for _ in range(10)} == {fresh}
    assert gate.state == CLOSED
