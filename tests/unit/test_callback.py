"""Callback acceptance and offer, with in-memory stores: every status, idempotent retries, the window, the cap."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from routing.callback import CallbackStatus, check_number
from routing.callback_policy import CallbackPolicy
from routing.callback_service import CallbackService
from routing.config import load_directory
from routing.config_cache import ConfigCache
from routing.data.callback_store import InMemoryCallbackStore
from routing.data.config_store import InMemoryConfigStore
from routing.data.metrics_store import InMemoryMetricsStore, QueueSnapshot
from routing.live_metrics import LiveMetrics
from routing.publishing import publish_document
from routing.service import RouteService
from trunkline.contacts import connect_event

ROOT = Path(__file__).resolve().parents[2]
POLICY = CallbackPolicy.compile(
    {"key": "p", "profile": "standard", "allowed_countries": ["US", "CA"], "blocked_prefixes": ["+1555"]}
)


@pytest.mark.parametrize(
    ("raw", "status", "e164"),
    [
        ("(212) 555-0187", None, "+12125550187"),
        ("+1 416 555 0199", None, "+14165550199"),
        ("anonymous", CallbackStatus.ANONYMOUS, ""),
        ("", CallbackStatus.ANONYMOUS, ""),
        ("12345", CallbackStatus.INVALID_NUMBER, ""),
        ("not a number", CallbackStatus.INVALID_NUMBER, ""),
        ("+44 20 7946 0000", CallbackStatus.NOT_ALLOWED_COUNTRY, "+442079460000"),
        ("+447400123456", CallbackStatus.BLOCKED_PREFIX, "+447400123456"),  # UK mobile: blocked by default
        ("+1 900 555 0100", CallbackStatus.BLOCKED_PREFIX, "+19005550100"),
    ],
)
def test_number_checks(raw: str, status: CallbackStatus | None, e164: str) -> None:
    checked = check_number(raw, region="US", policy=POLICY)
    assert (checked.status, checked.e164) == (status, e164)


@pytest.fixture
def config() -> InMemoryConfigStore:
    doc = load_directory(ROOT / "config").document
    assert doc is not None
    store = InMemoryConfigStore()
    publish_document(store, doc, actor="t", summary="t")
    return store


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _accept(
    service: CallbackService, contact_id: str, number: str | None, queue: str = "cards_general"
) -> dict[str, str]:
    params = {"queue_key": queue, **({"callback_number": number} if number is not None else {})}
    return service.accept(
        connect_event(dialed="+18005550100", caller="+13125550100", parameters=params, contact_id=contact_id)
    )


def test_created_then_duplicate_then_retry_returns_the_same_answer(config: InMemoryConfigStore) -> None:
    store, clock = InMemoryCallbackStore(), Clock()
    service = CallbackService(ConfigCache(config), store, clock=clock)
    first = _accept(service, "c1", "(212) 555-0187")
    assert first == {
        "callback_status": "CREATED",
        "callback_number": "+12125550187",
        "callback_profile": "standard",
        "queue_key": "cards_general",
        "queue_arn": "",
        "priority": "",
    }
    assert _accept(service, "c1", "(212) 555-0187") == first  # Connect retry: same answer
    assert _accept(service, "c2", "+12125550187")["callback_status"] == "DUPLICATE"
    assert _accept(service, "c3", "+12125550187", queue="cards_balance")["callback_status"] == "CREATED"  # other queue
    clock.now += 14_401  # the window (4 h) has passed
    assert _accept(service, "c4", "+12125550187")["callback_status"] == "CREATED"


def test_caller_id_is_used_when_no_number_is_keyed(config: InMemoryConfigStore) -> None:
    service = CallbackService(ConfigCache(config), InMemoryCallbackStore(), clock=Clock())
    assert _accept(service, "c1", None)["callback_number"] == "+13125550100"


def test_another_number_releases_the_first(config: InMemoryConfigStore) -> None:
    store = InMemoryCallbackStore()
    service = CallbackService(ConfigCache(config), store, clock=Clock())
    assert _accept(service, "c1", "+12125550187")["callback_status"] == "CREATED"
    assert _accept(service, "c1", "+12125550188")["callback_status"] == "CREATED"
    assert list(store.locks) == ["LOCK#cards_general#+12125550188"]
    assert _accept(service, "c9", "+12125550187")["callback_status"] == "CREATED"  # no orphaned lock


def test_cap_per_queue(config: InMemoryConfigStore) -> None:
    doc = config.load_document(config.get_pointer().version_id)  # type: ignore[union-attr]
    doc["callback_policies"]["standard_voice"]["max_open_callbacks"] = 2
    publish_document(config, doc, actor="t", summary="cap 2")
    service = CallbackService(ConfigCache(config), InMemoryCallbackStore(), clock=Clock())
    statuses = [_accept(service, f"c{i}", f"+1212555010{i}")["callback_status"] for i in range(3)]
    assert statuses == ["CREATED", "CREATED", "QUEUE_FULL"]


@pytest.mark.parametrize(
    ("number", "queue", "status"),
    [
        ("+12125550187", "fraud_alerts", "NOT_OFFERED"),  # fraud has no callback policy
        ("+12125550187", "no_such_queue", "NOT_OFFERED"),
        ("+442079460000", "cards_general", "NOT_ALLOWED_COUNTRY"),
        ("+19005550123", "cards_general", "BLOCKED_PREFIX"),
        ("restricted", "cards_general", "ANONYMOUS"),
        ("555", "cards_general", "INVALID_NUMBER"),
    ],
)
def test_refusals_each_have_a_status(config: InMemoryConfigStore, number: str, queue: str, status: str) -> None:
    service = CallbackService(ConfigCache(config), InMemoryCallbackStore(), clock=Clock())
    reply = _accept(service, "c1", number, queue=queue)
    assert (reply["callback_status"], reply["callback_number"]) == (status, "")


def test_store_failure_is_an_error_status_not_an_exception(config: InMemoryConfigStore) -> None:
    class Broken(InMemoryCallbackStore):
        def create(self, request: Any, *, now: float) -> CallbackStatus:
            raise TimeoutError("dynamodb")

    service = CallbackService(ConfigCache(config), Broken(), clock=Clock())
    assert _accept(service, "c1", "+12125550187")["callback_status"] == "ERROR"


def test_no_raw_number_in_logs(config: InMemoryConfigStore, capsys: pytest.CaptureFixture[str]) -> None:
    service = CallbackService(ConfigCache(config), InMemoryCallbackStore(), clock=Clock())
    _accept(service, "c1", "+12125550187")
    _accept(service, "c2", "(212) 555-0199")
    out = capsys.readouterr()
    assert "+12125550187" not in out.out + out.err
    assert "5550199" not in out.out + out.err


# --- the offer in route ----------------------------------------------------------------------------------

GENERAL = "86ab7e22-5e41-516b-9428-5c53e39b9081"
OPEN = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def _route(config: InMemoryConfigStore, snapshot: dict[str, float] | None, channel: str = "VOICE") -> dict[str, str]:
    metrics = InMemoryMetricsStore()
    if snapshot is not None:
        metrics.items[GENERAL] = QueueSnapshot(GENERAL, 1000.0, {channel: snapshot})
    view = LiveMetrics(metrics, wall_clock=lambda: 1001.0, monotonic=lambda: 1001.0)
    service = RouteService(ConfigCache(config), default_queue_id="d", metrics_view=view, clock=lambda: OPEN)
    event = connect_event(dialed="+18005550100", attributes={"ivr_choice": "5"}, channel=channel)
    if channel == "CHAT":
        event = connect_event(channel="CHAT", attributes={"entry_key": "cards_web_chat"})
    return service.route(event)


@pytest.mark.parametrize(
    ("snapshot", "offer", "reason", "wait"),
    [
        ({"estimated_wait_time": 420}, "true", "wait_above:300", "420"),
        ({"estimated_wait_time": 120}, "false", "wait_below:300", "120"),
        (None, "false", "wait_unknown", ""),
    ],
)
def test_route_offers_a_callback_on_long_waits(
    config: InMemoryConfigStore, snapshot: dict[str, float] | None, offer: str, reason: str, wait: str
) -> None:
    reply = _route(config, snapshot)
    assert reply["queue_key"] == "cards_general"
    assert (reply["callback_offer"], reply["callback_reason"], reply["callback_wait_s"]) == (offer, reason, wait)
    assert reply["callback_profile"] == "standard"


def test_chat_is_never_offered_a_voice_callback(config: InMemoryConfigStore) -> None:
    reply = _route(config, {"estimated_wait_time": 900}, channel="CHAT")
    assert reply["callback_offer"] == "false"


def test_handler_answers_error_when_settings_are_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    import callback.handler as handler

    monkeypatch.setenv("CONFIG_REFRESH_SECONDS", "not-a-number")
    handler.set_service(None)
    try:
        reply = handler.lambda_handler(connect_event(parameters={"queue_key": "cards_general"}), None)
    finally:
        handler.set_service(None)
    assert reply["callback_status"] == "ERROR"


def test_an_offer_emits_callback_offered(
    config: InMemoryConfigStore, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from routing.observability import metrics

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)  # the CLI switches EMF off for its own output

    metrics.flush_metrics()  # drop what earlier tests added
    capsys.readouterr()
    _route(config, {"estimated_wait_time": 120})
    metrics.flush_metrics()
    assert '"CallbackOffered"' not in capsys.readouterr().out
    reply = _route(config, {"estimated_wait_time": 420})
    assert reply["callback_offer"] == "true"
    metrics.flush_metrics()
    assert '"CallbackOffered"' in capsys.readouterr().out


def test_callback_lines_carry_no_raw_number(
    config: InMemoryConfigStore, lambda_logs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import re

    service = CallbackService(ConfigCache(config), InMemoryCallbackStore(), clock=Clock())
    numbers = ["(212) 555-0187", "+1 416 555 0199", "+447400123456", "+19005550100", "12345", None]
    for i, number in enumerate(numbers):
        _accept(service, f"m{i}", number)
    _accept(service, "m0", "(212) 555-0187")  # an idempotent retry logs too
    captured = capsys.readouterr()
    text = lambda_logs.getvalue() + captured.out + captured.err
    lines = [json.loads(x) for x in lambda_logs.getvalue().splitlines() if x.startswith("{")]
    assert len([x for x in lines if x.get("message") == "callback"]) >= len(numbers)
    assert not re.findall(r"\+\d{7,15}", text)
    digits_logged = [re.sub(r"\D", "", str(v)) for line in lines for v in line.values()]
    for raw in ("2125550187", "4165550199", "447400123456", "13125550100"):  # keyed numbers and the caller id
        assert not any(raw in d for d in digits_logged), raw


@pytest.mark.parametrize(
    ("number", "metric"),
    [
        ("(212) 555-0187", "CallbackCreated"),
        ("anonymous", "CallbackRejectedAnonymous"),
        ("12345", "CallbackRejectedInvalidNumber"),
        ("+19005550100", "CallbackRejectedBlockedPrefix"),
    ],
)
def test_each_path_emits_its_metric_and_the_dashboard_knows_every_rejection(
    config: InMemoryConfigStore,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    number: str,
    metric: str,
) -> None:
    import json

    from routing.callback_service import REJECTED
    from routing.observability import metrics
    from stacks.constructs.observability import CALLBACK_REJECTIONS

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.flush_metrics(raise_on_empty_metrics=False)
    capsys.readouterr()
    service = CallbackService(ConfigCache(config), InMemoryCallbackStore(), clock=Clock())
    _accept(service, "p1", number)
    metrics.flush_metrics(raise_on_empty_metrics=False)
    blobs = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"_aws"')]
    emitted = {m["Name"] for b in blobs for d in b["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert metric in emitted
    assert not {n for n in emitted if n.startswith("Callback")} - {metric}  # one outcome metric per request
    # The dashboard graphs every rejection the service can emit (a renamed status would silently vanish).
    assert {f"CallbackRejected{name}" for name in CALLBACK_REJECTIONS} == {
        f"CallbackRejected{s.value.title().replace('_', '')}" for s in REJECTED
    }
