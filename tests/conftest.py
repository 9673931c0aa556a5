"""Shared test helpers for the routing core: the sample config, fake metrics, a fake clock, Connect events.

Nothing here is autouse: other suites (flows, infra) share this directory and must not be affected.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CONFIG = ROOT / "config"
SAMPLE_EVENTS = ROOT / "tests" / "events" / "sample_contacts.json"

# The reply contract (docs/design/routing-core.md).
REPLY_KEY = re.compile(r"[A-Za-z0-9_-]+")
STATUSES = frozenset({"ROUTED", "CLOSED", "EMERGENCY", "DEFAULT", "ERROR_DEFAULT"})
ALWAYS_PRESENT = (
    "status",
    "reason",
    "queue_key",
    "queue_id",
    "queue_arn",
    "queue_name",
    "classification",
    "rule_id",
    "ruleset",
    "config_version",
    "config_source",
    "priority",
    "line_of_business",
    "entry_point",
    "language",
    "message",
    "fallback_reason",
    "callback_offer",
    "callback_reason",
    "callback_profile",
    "callback_wait_s",
    "metrics_age_s",
    "routing_criteria",
)


def assert_reply_contract(reply: object) -> dict[str, str]:
    """A route reply is a flat ``dict[str, str]`` with valid keys, under 32 KB, every reserved key present."""
    import json

    assert isinstance(reply, dict)
    for key, value in reply.items():
        assert isinstance(key, str)
        assert REPLY_KEY.fullmatch(key), f"invalid reply key {key!r}"
        assert isinstance(value, str), f"{key} is {type(value).__name__}, not str"
    # Measured independently of routing.route.reply.reply_size: the JSON Lambda returns to Connect.
    assert len(json.dumps(reply, ensure_ascii=False).encode()) < 32_000
    missing = [k for k in ALWAYS_PRESENT if k not in reply]
    assert not missing, f"reserved keys missing: {missing}"
    assert reply["status"] in STATUSES
    assert reply["config_source"] in {"active", "last_known_good", "baked", "none"}
    assert reply["callback_offer"] in {"true", "false"}
    assert reply["priority"].isdigit()
    return reply


class FakeMetrics:
    """A ``MetricsView`` over a dict ``{(queue_id, metric): value}``; anything else is unknown (None).

    ``channel_values`` optionally gives per-channel values ``{(queue_id, metric, channel): value}``.
    Records every read so tests can check which queues a decision looked at.
    """

    def __init__(
        self,
        values: Mapping[tuple[str, str], float] | None = None,
        *,
        channel_values: Mapping[tuple[str, str, str], float] | None = None,
        age: float | None = 4.0,
    ) -> None:
        self.values = dict(values or {})
        self.channel_values = dict(channel_values or {})
        self.age = age
        self.prefetched: list[frozenset[str]] = []
        self.reads: list[tuple[str, str, str]] = []

    def prefetch(self, queue_ids: frozenset[str]) -> None:
        self.prefetched.append(queue_ids)

    def metric(self, queue_id: str, name: str, channel: str = "VOICE") -> float | None:
        self.reads.append((queue_id, name, channel))
        if (queue_id, name, channel) in self.channel_values:
            return self.channel_values[(queue_id, name, channel)]
        return self.values.get((queue_id, name))

    def age_seconds(self, queue_id: str) -> float | None:
        return self.age


class FakeClock:
    """Time the test moves by hand, for code that takes its clock as an argument (never patch ``time``).

    Call it for the time in seconds: pass it as a monotonic clock, a wall clock (epoch seconds) or both.
    ``advance`` moves it; ``sleep`` moves it too and records the wait (pass it as ``sleep=``); ``utc`` is the same
    instant as an aware datetime (pass ``clock.utc`` where the code wants datetimes) and ``set`` moves to one.
    Start at any instant with ``FakeClock(start)`` or by assigning ``now``.
    """

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def set(self, when: datetime) -> None:
        self.now = when.timestamp()


@pytest.fixture
def clock() -> FakeClock:
    """The shared fake clock (tests/conftest.py ``FakeClock``), at 1,000 s."""
    return FakeClock()


Scope = Literal["session", "package", "module", "class", "function"]


def shared(widest: Literal["module", "session"]) -> Callable[[str, pytest.Config], Scope]:
    """A fixture scope: ``widest`` normally, per test under mutation testing (``make mutation``). mutmut runs a
    mutant only against the tests that called the mutated code while it recorded, so a compile cached for a module
    or the session would be charged to the first test that asked for it, and the compiler's mutants would meet
    that one test. Every shared fixture of ``tests/unit`` and ``tests/integration`` uses it."""

    def scope(fixture_name: str, config: pytest.Config) -> Scope:
        return "function" if os.environ.get("MUTANT_UNDER_TEST") else widest

    return scope


@pytest.fixture(scope=shared("session"))
def _sample_document_once() -> dict[str, Any]:
    from routing.config.loader import load_directory

    result = load_directory(SAMPLE_CONFIG)
    assert result.ok, [str(i) for i in result.issues]
    assert result.document is not None
    return result.document


@pytest.fixture
def sample_document(_sample_document_once: dict[str, Any]) -> dict[str, Any]:
    """The normalized sample config (config/), a fresh copy each test may change."""
    return copy.deepcopy(_sample_document_once)


@pytest.fixture(scope=shared("session"))
def sample_compiled(_sample_document_once: dict[str, Any]) -> Any:
    """The sample config compiled once (CompiledConfig is immutable)."""
    from routing.route.engine import CompiledConfig

    return CompiledConfig.compile(_sample_document_once, version="v000042")


def queue_id_of(document: Mapping[str, Any], queue_key: str) -> str:
    """The Connect queue id of ``queue_key`` in a normalized document."""
    return str(document["queues"][queue_key]["queue_id"])


def changed_copy(document: Mapping[str, Any], greeting: str) -> dict[str, Any]:
    """The document with one visible change (cards_general's greeting), for publishing a second version."""
    doc = copy.deepcopy(dict(document))
    doc["queues"]["cards_general"]["attributes"]["greeting_prompt"] = greeting
    return doc


EMF_SERVICE = "trunkline-test"


@pytest.fixture
def emf(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Read the EMF blobs (CloudWatch embedded metric format) written since the last read, as dicts.

    EMF is switched on (the CLI switches it off for its own output), the service dimension is ``EMF_SERVICE``,
    and whatever earlier tests left in the shared ``metrics`` is dropped first.
    """
    import json

    from routing.common.observability import metrics

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", EMF_SERVICE)
    metrics.flush_metrics(raise_on_empty_metrics=False)
    capsys.readouterr()

    def read() -> list[dict[str, Any]]:
        metrics.flush_metrics(raise_on_empty_metrics=False)
        return [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"_aws"')]

    return read


@pytest.fixture
def lambda_logs() -> Any:
    """Everything the shared Powertools logger writes (what Lambda would ship to CloudWatch), as a StringIO.

    The handler's stream is swapped for the test and restored after; the level is INFO (the CLI lowers it to
    WARNING when it runs in the same process, which would silently hide the decision lines).
    """
    import io
    import logging
    import sys

    from routing.common.observability import logger

    buffer = io.StringIO()
    handlers = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    saved_streams = [h.stream for h in handlers]
    saved_level = logger.log_level
    # Streams are assigned, not set with setStream(), which flushes the old stream: a capture stream of an earlier
    # test (the logger may have been created, or pointed there by the CLI, while it was sys.stdout) is closed.
    for handler in handlers:
        handler.stream = buffer
    logger.setLevel("INFO")
    try:
        yield buffer
    finally:
        for handler, stream in zip(handlers, saved_streams, strict=True):
            handler.stream = sys.stdout if getattr(stream, "closed", False) else stream
        logger.setLevel(saved_level)


@pytest.fixture(autouse=True)
def _lambda_logging_restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Whatever a test does to the shared Lambda logger and EMF switch (an in-process CLI call quiets both for its
    own output) is undone after it: a later test must see the logger as Lambda configures it."""
    import logging

    from routing.common.observability import logger

    current = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    if current is None:  # either call registers the variable's state for monkeypatch to put back
        monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    else:
        monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", current)
    handlers = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    saved = (logger.log_level, [h.stream for h in handlers])
    yield
    logger.setLevel(saved[0])
    for handler, stream in zip(handlers, saved[1], strict=True):
        handler.stream = stream
