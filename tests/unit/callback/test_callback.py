"""Callback acceptance and offer, with in-memory stores: every status, idempotent retries, the window, the cap."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from routing.callback.memory_store import InMemoryCallbackStore
from routing.callback.policy import CallbackPolicy
from routing.callback.request import CallbackStatus, NumberHasher, check_number
from routing.callback.service import CallbackService
from routing.config.cache import ConfigCache
from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.live_metrics.reader import LiveMetrics
from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot
from routing.route.service import RouteService
from tests.conftest import FakeClock
from trunkline.contacts import connect_event

ROOT = Path(__file__).resolve().parents[3]
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


KEY = "test-only-callback-number-key-0123456789"
WALL_START = 1_800_000_000.0  # the callback service reads wall-clock (epoch) seconds
HASHER = NumberHasher(KEY)


def _service(
    config: InMemoryConfigStore, store: InMemoryCallbackStore | None = None, clock: FakeClock | None = None
) -> CallbackService:
    return CallbackService(
        ConfigCache(config), store or InMemoryCallbackStore(), hasher=HASHER, clock=clock or FakeClock(WALL_START)
    )


def _accept(
    service: CallbackService,
    contact_id: str,
    number: str | None,
    queue: str = "cards_general",
    action: str | None = None,
) -> dict[str, str]:
    params = {
        "queue_key": queue,
        **({"callback_number": number} if number is not None else {}),
        **({"action": action} if action is not None else {}),
    }
    return service.accept(
        connect_event(dialed="+18005550100", caller="+13125550100", parameters=params, contact_id=contact_id)
    )


def _lock(queue: str, number: str) -> str:
    return f"LOCK#{queue}#{HASHER.digest(number)}"


def test_reserved_then_duplicate_then_retry_returns_the_same_answer(config: InMemoryConfigStore) -> None:
    store, clock = InMemoryCallbackStore(), FakeClock(WALL_START)
    service = _service(config, store, clock)
    first = _accept(service, "c1", "(212) 555-0187")
    assert first == {
        "callback_status": "RESERVED",
        "callback_number": "+12125550187",
        "callback_profile": "standard",
        "queue_key": "cards_general",
    }
    assert _accept(service, "c1", "(212) 555-0187") == first  # Connect retry: same answer
    assert _accept(service, "c2", "+12125550187")["callback_status"] == "DUPLICATE"
    assert _accept(service, "c3", "+12125550187", queue="cards_balance")["callback_status"] == "RESERVED"  # other queue
    assert _accept(service, "c1", "+12125550187", action="confirm")["callback_status"] == "CONFIRMED"
    clock.now += 14_401  # the window (4 h) has passed
    assert _accept(service, "c4", "+12125550187")["callback_status"] == "RESERVED"


def test_a_failed_create_releases_the_number(config: InMemoryConfigStore) -> None:
    """Issue 11: Connect failed to set the number or create the callback: the caller must not be told "you already
    have a callback" for the whole window."""
    store = InMemoryCallbackStore()
    service = _service(config, store)
    assert _accept(service, "c1", "+12125550187")["callback_status"] == "RESERVED"
    assert _accept(service, "c1", "+12125550187", action="release")["callback_status"] == "RELEASED"
    again = _accept(service, "c2", "+12125550187")["callback_status"]
    assert again != "DUPLICATE"
    assert again == "RESERVED"
    assert sum(store.caps.values()) == 1  # the first cap slot was given back
    assert _accept(service, "c1", "+12125550187", action="release")["callback_status"] == "RELEASED"  # idempotent
    assert store.locks[_lock("cards_general", "+12125550187")].contact_id == "c2"  # and not c2's hold


def test_an_unconfirmed_reservation_lapses_in_minutes_a_confirmed_one_lasts_the_window(
    config: InMemoryConfigStore,
) -> None:
    clock = FakeClock(WALL_START)
    service = _service(config, InMemoryCallbackStore(), clock)
    assert _accept(service, "c1", "+12125550187")["callback_status"] == "RESERVED"
    clock.now += 299
    assert _accept(service, "c2", "+12125550187")["callback_status"] == "DUPLICATE"
    clock.now += 2  # 301 s: the flow never confirmed nor released (the caller hung up)
    assert _accept(service, "c2", "+12125550187")["callback_status"] == "RESERVED"
    assert _accept(service, "c2", "+12125550187", action="confirm")["callback_status"] == "CONFIRMED"
    clock.now += 14_000
    assert _accept(service, "c3", "+12125550187")["callback_status"] == "DUPLICATE"


def test_confirm_is_idempotent_and_a_flow_release_keeps_a_confirmed_callback(config: InMemoryConfigStore) -> None:
    store, clock = InMemoryCallbackStore(), FakeClock(WALL_START)
    service = _service(config, store, clock)
    _accept(service, "c1", "+12125550187")
    assert _accept(service, "c1", "+12125550187", action="confirm") == {
        "callback_status": "CONFIRMED",
        "callback_number": "",
        "callback_profile": "standard",
        "queue_key": "cards_general",
    }
    state = (dict(store.locks), dict(store.caps), dict(store.answers), store.writes)
    clock.now += 2
    for _ in range(3):  # Connect retries the invocation up to 3 times
        assert _accept(service, "c1", "+12125550187", action="confirm")["callback_status"] == "CONFIRMED"
    assert (dict(store.locks), dict(store.caps), dict(store.answers), store.writes) == state
    hold = store.locks[_lock("cards_general", "+12125550187")]
    assert (hold.contact_id, hold.lock_until) == ("c1", 1_800_000_000.0 + 14_400)
    # The contact has its callback: asking again for the same number is a duplicate, not a second reservation.
    assert _accept(service, "c1", "+12125550187")["callback_status"] == "DUPLICATE"
    assert store.writes == state[3]
    # A release after the callback exists would let a second callback be created: the lock stays.
    assert _accept(service, "c1", "+12125550187", action="release")["callback_status"] == "CONFIRMED"
    assert _accept(service, "c2", "+12125550187")["callback_status"] == "DUPLICATE"


def test_confirm_without_a_live_reservation_takes_the_lock_if_the_number_is_free(config: InMemoryConfigStore) -> None:
    store, clock = InMemoryCallbackStore(), FakeClock(WALL_START)
    service = _service(config, store, clock)
    # Never reserved (or released): the callback exists in Connect, so the number is locked for the window.
    assert _accept(service, "c1", "+12125550187", action="confirm")["callback_status"] == "CONFIRMED"
    assert store.locks[_lock("cards_general", "+12125550187")].contact_id == "c1"
    assert sum(store.caps.values()) == 1
    assert _accept(service, "c2", "+12125550187")["callback_status"] == "DUPLICATE"
    # Another contact already holds the number: still CONFIRMED (the callback exists), its hold is untouched.
    _accept(service, "c3", "+12125550199")
    clock.now += 301
    assert _accept(service, "c4", "+12125550199")["callback_status"] == "RESERVED"
    assert _accept(service, "c3", "+12125550199", action="confirm")["callback_status"] == "CONFIRMED"
    assert store.locks[_lock("cards_general", "+12125550199")].contact_id == "c4"


def test_a_connect_retry_writes_nothing_and_another_queue_gets_that_queues_answer(
    config: InMemoryConfigStore,
) -> None:
    """Issue 17: compare the store, not only the reply."""
    store, clock = InMemoryCallbackStore(), FakeClock(WALL_START)
    service = _service(config, store, clock)
    general, balance = _lock("cards_general", "+12125550187"), _lock("cards_balance", "+12125550187")
    first = _accept(service, "c1", "+12125550187")
    before = (dict(store.locks), dict(store.caps), dict(store.answers), store.writes)
    clock.now += 1  # a rewrite would move lock_until
    assert _accept(service, "c1", "(212) 555-0187") == first
    assert (dict(store.locks), dict(store.caps), dict(store.answers), store.writes) == before
    # The same contact asks for another queue: that queue's answer, the first hold given back.
    assert _accept(service, "c1", "+12125550187", queue="cards_balance")["callback_status"] == "RESERVED"
    assert general not in store.locks
    assert store.locks[balance].contact_id == "c1"
    # And when that queue already holds the number for someone else, its answer is DUPLICATE.
    assert _accept(service, "c2", "+12125550187", queue="cards_general")["callback_status"] == "RESERVED"
    assert _accept(service, "c2", "+12125550187", queue="cards_balance")["callback_status"] == "DUPLICATE"
    assert general not in store.locks  # c2's general hold was given back when it asked for balance
    assert store.locks[balance].contact_id == "c1"


def test_keys_hold_a_keyed_hash_never_the_number(config: InMemoryConfigStore) -> None:
    store = InMemoryCallbackStore()
    service = _service(config, store)
    _accept(service, "c1", "(212) 555-0187")
    _accept(service, "c1", "+12125550187", action="confirm")
    dump = repr((store.locks, store.caps, store.answers))
    assert "2125550187" not in dump
    assert list(store.locks) == [_lock("cards_general", "+12125550187")]
    other = NumberHasher("another-deployment-key-0123456789abcdef")
    assert other.digest("+12125550187") != HASHER.digest("+12125550187")  # keyed: not a plain hash


@pytest.mark.parametrize("key", ["", "short-key"])
def test_without_a_usable_key_the_caller_keeps_their_place(
    config: InMemoryConfigStore, key: str, lambda_logs: Any
) -> None:
    store = InMemoryCallbackStore()
    service = CallbackService(ConfigCache(config), store, hasher=NumberHasher(key), clock=FakeClock(WALL_START))
    assert _accept(service, "c1", "+12125550187")["callback_status"] == "ERROR"
    assert not store.locks
    assert "CALLBACK_NUMBER_KEY" in lambda_logs.getvalue()


def test_an_unknown_action_is_an_error(config: InMemoryConfigStore) -> None:
    service = _service(config)
    assert _accept(service, "c1", "+12125550187", action="cancel")["callback_status"] == "ERROR"
    assert _accept(service, "c1", "+12125550187", action="RESERVE")["callback_status"] == "RESERVED"


def test_caller_id_is_used_when_no_number_is_keyed(config: InMemoryConfigStore) -> None:
    service = _service(config)
    assert _accept(service, "c1", None)["callback_number"] == "+13125550100"


def test_another_number_releases_the_first(config: InMemoryConfigStore) -> None:
    store = InMemoryCallbackStore()
    service = _service(config, store)
    assert _accept(service, "c1", "+12125550187")["callback_status"] == "RESERVED"
    assert _accept(service, "c1", "+12125550188")["callback_status"] == "RESERVED"
    assert list(store.locks) == [_lock("cards_general", "+12125550188")]
    assert _accept(service, "c9", "+12125550187")["callback_status"] == "RESERVED"  # no orphaned lock


def test_cap_per_queue(config: InMemoryConfigStore) -> None:
    doc = config.load_document(config.get_pointer().version_id)  # type: ignore[union-attr]
    doc["callback_policies"]["standard_voice"]["max_open_callbacks"] = 2
    publish_document(config, doc, actor="t", summary="cap 2")
    store = InMemoryCallbackStore()
    service = _service(config, store)
    statuses = [_accept(service, f"c{i}", f"+1212555010{i}")["callback_status"] for i in range(3)]
    assert statuses == ["RESERVED", "RESERVED", "QUEUE_FULL"]
    assert _accept(service, "c0", "+12125550100", action="release")["callback_status"] == "RELEASED"
    assert _accept(service, "c2", "+12125550102")["callback_status"] == "RESERVED"  # the slot was given back


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
    service = _service(config)
    reply = _accept(service, "c1", number, queue=queue)
    assert (reply["callback_status"], reply["callback_number"]) == (status, "")


def test_store_failure_is_an_error_status_not_an_exception(config: InMemoryConfigStore) -> None:
    class Broken(InMemoryCallbackStore):
        def reserve(self, request: Any, *, now: float) -> CallbackStatus:
            raise TimeoutError("dynamodb")

        def release(self, contact_id: str, *, keep_confirmed: bool = False) -> bool:
            raise TimeoutError("dynamodb")

    service = _service(config, Broken())
    assert _accept(service, "c1", "+12125550187")["callback_status"] == "ERROR"
    assert _accept(service, "c1", "+12125550187", action="release")["callback_status"] == "ERROR"


def test_no_raw_number_in_logs(config: InMemoryConfigStore, capsys: pytest.CaptureFixture[str]) -> None:
    service = _service(config)
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
    from routing.common.observability import metrics

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

    service = _service(config)
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
    ("number", "action", "metric"),
    [
        ("(212) 555-0187", None, "CallbackReserved"),
        ("(212) 555-0187", "confirm", "CallbackCreated"),  # created = confirmed: Connect has the callback
        ("(212) 555-0187", "release", "CallbackReleased"),
        ("(212) 555-0187", "cancel", "CallbackError"),
        ("anonymous", None, "CallbackRejectedAnonymous"),
        ("12345", None, "CallbackRejectedInvalidNumber"),
        ("+19005550100", None, "CallbackRejectedBlockedPrefix"),
    ],
)
def test_each_path_emits_its_metric_and_the_dashboard_knows_every_rejection(
    config: InMemoryConfigStore,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    number: str,
    action: str | None,
    metric: str,
) -> None:
    import json

    from routing.callback.service import REJECTED
    from routing.common.observability import metrics
    from stacks.constructs.observability import CALLBACK_REJECTIONS

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.flush_metrics(raise_on_empty_metrics=False)
    capsys.readouterr()
    service = _service(config)
    if metric == "CallbackCreated":
        _accept(service, "p1", number)
        metrics.flush_metrics(raise_on_empty_metrics=False)
        capsys.readouterr()
    _accept(service, "p1", number, action=action)
    metrics.flush_metrics(raise_on_empty_metrics=False)
    blobs = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"_aws"')]
    emitted = {m["Name"] for b in blobs for d in b["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert metric in emitted
    assert [b[metric] for b in blobs if metric in b] in ([1], [1.0], [[1]], [[1.0]])  # an alarm sums this value
    assert not {n for n in emitted if n.startswith("Callback")} - {metric}  # one outcome metric per request
    # The dashboard graphs every rejection the service can emit (a renamed status would silently vanish).
    assert {f"CallbackRejected{name}" for name in CALLBACK_REJECTIONS} == {
        f"CallbackRejected{s.value.title().replace('_', '')}" for s in REJECTED
    }


def test_callback_settings_from_the_environment_and_the_key_never_in_a_repr() -> None:
    from routing.common.settings import Settings

    secret = "s3cret-callback-number-key-0123456789abc"
    settings = Settings.from_env(
        {"CALLBACK_NUMBER_KEY": secret, "CALLBACK_RESERVATION_SECONDS": "120", "CALLBACK_CAP_SHARDS": "8"}
    )
    assert (settings.callback_number_key, settings.callback_reservation_seconds, settings.callback_cap_shards) == (
        secret,
        120.0,
        8,
    )
    assert secret not in repr(settings)
    defaults = Settings.from_env({})
    assert (defaults.callback_number_key, defaults.callback_reservation_seconds, defaults.callback_cap_shards) == (
        "",
        300.0,
        4,
    )


def test_the_handler_builds_a_keyless_service_that_refuses_safely(
    monkeypatch: pytest.MonkeyPatch, lambda_logs: Any
) -> None:
    """A deployment without CALLBACK_NUMBER_KEY: the function still answers (ERROR: the caller keeps their place)
    and says why at cold start, without touching the table."""
    import callback.handler as handler

    monkeypatch.delenv("CALLBACK_NUMBER_KEY", raising=False)
    monkeypatch.setenv("CALLBACK_TABLE_NAME", "callbacks")
    monkeypatch.setenv("CONFIG_TABLE_NAME", "config")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    handler.set_service(None)
    try:
        service = handler.build_service()
    finally:
        handler.set_service(None)
    assert "CALLBACK_NUMBER_KEY is missing" in lambda_logs.getvalue()
    assert not service._hasher.ready


def _emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, list[Any]]:
    """Every metric in the EMF blobs flushed so far: name → values."""
    import json

    from routing.common.observability import metrics

    metrics.flush_metrics(raise_on_empty_metrics=False)
    blobs = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"_aws"')]
    names = {m["Name"] for b in blobs for d in b["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    return {n: [b[n] for b in blobs if n in b] for n in names}


class _UnavailableStore(InMemoryCallbackStore):
    """The callback table through a gate whose budget is spent: every request is refused without being sent."""

    def __init__(self, gate: Any) -> None:
        super().__init__()
        self._gate = gate

    def answer_for(self, contact_id: str) -> Any:
        return self._gate.run(lambda: super(_UnavailableStore, self).answer_for(contact_id))


@pytest.mark.parametrize("action", [None, "confirm", "release"])
def test_out_of_time_answers_error_keeps_the_caller_queued_and_says_why(
    config: InMemoryConfigStore,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    action: str | None,
) -> None:
    """Issue 12: the budget is spent (here: the breaker is open after a hang) → ``ERROR`` (the flow apologises and
    keeps the caller's place; it releases nothing on a reserve ERROR), ``CallbackError`` = 1 and
    ``CallbackStoreUnavailable`` = 1, and nothing written."""
    from routing.common.deadline import StoreGate

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    _emitted(capsys)
    now = [0.0]
    gate = StoreGate(budget_seconds=1.0, retry_seconds=30.0, clock=lambda: now[0])
    gate._open_until = 30.0  # a deadline expired a moment ago: the breaker is open
    store = _UnavailableStore(gate)
    monkeypatch.setattr(store, "release", lambda *_, **__: gate.run(lambda: True))
    monkeypatch.setattr(store, "confirm", lambda *_, **__: gate.run(lambda: None))
    service = CallbackService(ConfigCache(config), store, hasher=HASHER, clock=FakeClock(WALL_START), gate=gate)
    reply = _accept(service, "t1", "(212) 555-0187", action=action)
    assert reply == {
        "callback_status": "ERROR",
        "callback_number": "",
        "callback_profile": "",
        "queue_key": "cards_general",
    }
    assert (store.writes, gate.stats.requests, gate.stats.skipped) == (0, 0, 1)
    emitted = _emitted(capsys)
    assert emitted.get("CallbackError") in ([1], [1.0], [[1]], [[1.0]])
    assert emitted.get("CallbackStoreUnavailable") in ([1], [1.0], [[1]], [[1.0]])


def test_an_unexpected_failure_emits_callback_error_with_value_one(
    config: InMemoryConfigStore, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: an alarm sums CallbackError; both error paths (the service's guard and the handler's) emit 1."""
    import callback.handler as handler

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    _emitted(capsys)
    store = InMemoryCallbackStore()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("table gone")

    monkeypatch.setattr(store, "answer_for", broken)
    reply = _accept(_service(config, store), "e1", "(212) 555-0187")
    assert reply["callback_status"] == "ERROR"
    assert _emitted(capsys).get("CallbackError") in ([1], [1.0], [[1]], [[1.0]])

    class Exploding:
        def accept(self, event: object) -> dict[str, str]:
            raise RuntimeError("bug")

    handler.set_service(Exploding())  # type: ignore[arg-type]
    try:
        reply = handler.lambda_handler(connect_event(parameters={"queue_key": "cards_general"}), None)
    finally:
        handler.set_service(None)
    assert reply["callback_status"] == "ERROR"
    assert _emitted(capsys).get("CallbackError") in ([1], [1.0], [[1]], [[1.0]])


def test_the_dashboard_lists_every_metric_the_callback_service_emits() -> None:
    """A metric added to the service without a line on the dashboard fails here, before any synth."""
    from routing.callback.service import _METRIC, EMITTED_METRICS, STORE_UNAVAILABLE_METRIC
    from stacks.constructs.observability import CALLBACK_OUTCOMES, CALLBACK_SIGNALS

    assert {*_METRIC.values(), "CallbackConfirmedLate", STORE_UNAVAILABLE_METRIC} <= EMITTED_METRICS
    assert set(CALLBACK_OUTCOMES) | set(CALLBACK_SIGNALS) == EMITTED_METRICS


def test_the_service_is_built_at_init_and_a_bad_setting_never_crashes_the_cold_start(
    monkeypatch: pytest.MonkeyPatch, lambda_logs: Any
) -> None:
    """Issue 12: module load (Lambda's init) builds the service with its store gate; a bad setting leaves none (the
    import still succeeds) and the invocation answers ERROR."""
    import importlib

    import callback.handler as handler

    monkeypatch.setenv("STORE_BUDGET_MS", "250")
    importlib.reload(handler)
    try:
        assert handler.SERVICE.service is not None
        gate = handler.SERVICE.service.store_gate
        assert gate is not None
        assert gate.budget_seconds == 0.25
        monkeypatch.setenv("CONFIG_REFRESH_SECONDS", "not-a-number")
        importlib.reload(handler)  # must not raise
        assert handler.SERVICE.service is None
        assert "could not build the callback service at init" in lambda_logs.getvalue()
        reply = handler.lambda_handler(connect_event(parameters={"queue_key": "cards_general"}), None)
        assert reply["callback_status"] == "ERROR"
    finally:
        handler.set_service(None)
