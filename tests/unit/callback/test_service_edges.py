"""CallbackService paths that mutation testing showed no test pinned (issue 17): no config, a disabled or "never"
policy, a confirmed contact asking for another queue, confirm without the number key, a late confirm's signal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from routing.callback.memory_store import InMemoryCallbackStore
from routing.callback.request import HoldState, NumberHasher
from routing.callback.service import CallbackService
from routing.config.cache import ConfigCache
from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from tests.conftest import FakeClock
from trunkline.contacts import connect_event

ROOT = Path(__file__).resolve().parents[3]
KEY = "test-only-callback-number-key-0123456789"
HASHER = NumberHasher(KEY)
WALL_START = 1_800_000_000.0
NUMBER = "+12125550187"


def _config(**policy_changes: Any) -> InMemoryConfigStore:
    document = load_directory(ROOT / "config").document
    assert document is not None
    document["callback_policies"]["standard_voice"].update(policy_changes)
    store = InMemoryConfigStore()
    publish_document(store, document, actor="t", summary="t")
    return store


def _service(
    config: InMemoryConfigStore, store: InMemoryCallbackStore, hasher: NumberHasher = HASHER
) -> CallbackService:
    return CallbackService(ConfigCache(config), store, hasher=hasher, clock=FakeClock(WALL_START))


def _accept(
    service: CallbackService, contact_id: str, *, queue: str = "cards_general", action: str | None = None
) -> dict[str, str]:
    params = {"queue_key": queue, "callback_number": NUMBER, **({"action": action} if action else {})}
    event = connect_event(dialed="+18005550100", caller="+13125550100", parameters=params, contact_id=contact_id)
    return service.accept(event)


def _not_offered(queue: str) -> dict[str, str]:
    return {"callback_status": "NOT_OFFERED", "callback_number": "", "callback_profile": "", "queue_key": queue}


def _lock(queue: str) -> str:
    return f"LOCK#{queue}#{HASHER.digest(NUMBER)}"


Emf = Callable[[], list[dict[str, Any]]]  # tests/conftest.py ``emf``: the EMF blobs since the last read


def _units(blobs: list[dict[str, Any]]) -> dict[str, str | None]:
    """Metric name → its unit, over every blob."""
    return {m["Name"]: m.get("Unit") for b in blobs for d in b["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}


def test_before_any_config_is_published_a_callback_is_not_offered() -> None:
    """No active version yet (a new region before its first deploy): NOT_OFFERED, not ERROR, nothing written."""
    store = InMemoryCallbackStore()
    assert _accept(_service(InMemoryConfigStore(), store), "c1") == _not_offered("cards_general")
    assert (store.writes, store.locks) == (0, {})


def test_an_unknown_queue_is_not_offered_and_names_no_profile() -> None:
    store = InMemoryCallbackStore()
    assert _accept(_service(_config(), store), "c1", queue="no_such_queue") == _not_offered("no_such_queue")
    assert store.writes == 0


@pytest.mark.parametrize(
    "change",
    [
        {"enabled": False},  # switched off by operations, its offer rule untouched
        {"offer": "never"},  # enabled, but never offered
    ],
)
def test_a_disabled_or_never_policy_is_not_offered(change: dict[str, Any]) -> None:
    store = InMemoryCallbackStore()
    assert _accept(_service(_config(**change), store), "c1") == _not_offered("cards_general")
    assert store.writes == 0


def test_a_confirmed_contact_asking_for_another_queue_keeps_its_confirmed_callback() -> None:
    """The callback exists in Connect for the first queue: asking for a second queue must not drop the first
    queue's lock (another contact could then create a second callback to the same number)."""
    store = InMemoryCallbackStore()
    service = _service(_config(), store)
    assert _accept(service, "c1")["callback_status"] == "RESERVED"
    assert _accept(service, "c1", action="confirm")["callback_status"] == "CONFIRMED"
    _accept(service, "c1", queue="cards_balance")
    assert store.locks[_lock("cards_general")].contact_id == "c1"
    assert _accept(service, "c2")["callback_status"] == "DUPLICATE"


def test_confirm_needs_no_number_key(lambda_logs: Any) -> None:
    """The reservation names its lock: a container whose key went missing still confirms (CONFIRMED, no profile
    named, since the policy check needs the key) instead of apologising for a callback Connect has created."""
    store = InMemoryCallbackStore()
    assert _accept(_service(_config(), store), "c1")["callback_status"] == "RESERVED"
    keyless = _service(_config(), store, hasher=NumberHasher(""))
    assert _accept(keyless, "c1", action="confirm") == {
        "callback_status": "CONFIRMED",
        "callback_number": "",
        "callback_profile": "",
        "queue_key": "cards_general",
    }
    answer, _, _ = store.answers["c1"]
    assert answer.state is HoldState.CONFIRMED
    assert "callback confirmed without a live reservation" not in lambda_logs.getvalue()


def test_a_late_confirm_is_logged_and_counted_once(emf: Emf, lambda_logs: Any) -> None:
    """CallbackConfirmedLate = 1 (the dashboard graphs it) and one warning that names the outcome."""
    store = InMemoryCallbackStore()
    assert _accept(_service(_config(), store), "c1", action="confirm")["callback_status"] == "CONFIRMED"
    blobs = emf()
    late = [b["CallbackConfirmedLate"] for b in blobs if "CallbackConfirmedLate" in b]
    assert late in ([1], [1.0], [[1]], [[1.0]])
    assert _units(blobs)["CallbackConfirmedLate"] == "Count"
    warnings = [
        line
        for line in map(json.loads, lambda_logs.getvalue().splitlines())
        if line.get("message") == "callback confirmed without a live reservation"
    ]
    assert [(w["level"], w["outcome"]) for w in warnings] == [("WARNING", "adopted")]


def _event(contact_id: str, *, parameters: dict[str, str], attributes: dict[str, str] | None = None) -> Any:
    return connect_event(
        dialed="+18005550100", caller=NUMBER, parameters=parameters, attributes=attributes, contact_id=contact_id
    )


def test_the_queue_key_falls_back_to_the_contact_attribute() -> None:
    """A flow that set ``queue_key`` as a contact attribute (the route reply's) need not pass it again."""
    service = _service(_config(), InMemoryCallbackStore())
    reply = service.accept(_event("c1", parameters={}, attributes={"queue_key": "cards_general"}))
    assert (reply["callback_status"], reply["queue_key"]) == ("RESERVED", "cards_general")
    both = _event("c2", parameters={"queue_key": "cards_balance"}, attributes={"queue_key": "cards_general"})
    assert service.accept(both)["queue_key"] == "cards_balance"  # the parameter wins


def test_without_any_queue_key_nothing_is_offered() -> None:
    store = InMemoryCallbackStore()
    assert _service(_config(), store).accept(_event("c1", parameters={})) == _not_offered("")
    assert store.writes == 0


class _GatedStore(InMemoryCallbackStore):
    """The callback table through a gate; looking up the prior answer takes ``lookup_seconds`` of the budget
    (on the gate's fake clock) or ``hang_seconds`` of real time."""

    def __init__(self, gate: Any, now: list[float], *, lookup_seconds: float = 0.0, hang_seconds: float = 0.0) -> None:
        super().__init__()
        self._gate, self._now = gate, now
        self._lookup_seconds, self._hang_seconds = lookup_seconds, hang_seconds

    def answer_for(self, contact_id: str) -> Any:
        def lookup() -> Any:
            import time

            self._now[0] += self._lookup_seconds
            time.sleep(self._hang_seconds)
            return InMemoryCallbackStore.answer_for(self, contact_id)

        return self._gate.run(lookup)

    def reserve(self, request: Any, *, now: float) -> Any:
        return self._gate.run(lambda: InMemoryCallbackStore.reserve(self, request, now=now))


def _callback_lines(logs: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.getvalue().splitlines() if line.startswith("{")]


def test_one_store_budget_covers_the_whole_invocation(lambda_logs: Any) -> None:
    """Issue 12: the lookup spent the call's whole budget, so the reservation is not even sent (each request does
    not get a budget of its own): ERROR, logged as skipped, nothing written."""
    from routing.common.deadline import StoreGate

    now = [0.0]
    gate = StoreGate(budget_seconds=1.0, clock=lambda: now[0])
    store = _GatedStore(gate, now, lookup_seconds=1.0)
    service = CallbackService(ConfigCache(_config()), store, hasher=HASHER, clock=FakeClock(WALL_START), gate=gate)
    assert _accept(service, "c1")["callback_status"] == "ERROR"
    assert (store.writes, gate.stats.requests, gate.stats.skipped) == (0, 1, 1)
    lines = _callback_lines(lambda_logs)
    assert [(x["level"], x["error"]) for x in lines if x["message"] == "callback store unavailable"] == [
        ("WARNING", "store: not asked (budget spent)")
    ]
    assert [x["detail"] for x in lines if x["message"] == "callback"] == ["store_skipped"]


def test_a_request_cut_by_the_deadline_is_logged_as_a_deadline(lambda_logs: Any) -> None:
    from routing.common.deadline import StoreGate

    gate = StoreGate(budget_seconds=0.05, retry_seconds=30.0)
    store = _GatedStore(gate, [0.0], hang_seconds=0.3)
    service = CallbackService(ConfigCache(_config()), store, hasher=HASHER, clock=FakeClock(WALL_START), gate=gate)
    assert _accept(service, "c1")["callback_status"] == "ERROR"
    lines = _callback_lines(lambda_logs)
    assert [x["error"] for x in lines if x["message"] == "callback store unavailable"] == [
        "store: no answer within 0.05 s budget"
    ]
    assert [x["detail"] for x in lines if x["message"] == "callback"] == ["store_deadline"]


def test_an_unexpected_failure_is_logged_with_no_detail(lambda_logs: Any) -> None:
    class Broken(InMemoryCallbackStore):
        def answer_for(self, contact_id: str) -> Any:
            raise RuntimeError("table gone")

    assert _accept(_service(_config(), Broken()), "c1")["callback_status"] == "ERROR"
    lines = _callback_lines(lambda_logs)
    assert [x["detail"] for x in lines if x["message"] == "callback"] == [""]
    assert [x["level"] for x in lines if x["message"] == "callback failed"] == ["ERROR"]


def _lines(logs: Any, message: str) -> list[dict[str, Any]]:
    return [x for x in _callback_lines(logs) if x["message"] == message]


def test_the_callback_line_names_the_contact_action_queue_status_and_the_masked_number(lambda_logs: Any) -> None:
    from routing.common.observability import mask_phone

    keyed = {"queue_key": "cards_general", "callback_number": "(212) 555-0187"}  # as the caller keyed it
    _service(_config(), InMemoryCallbackStore()).accept(_event("c1", parameters=keyed))
    (line,) = _lines(lambda_logs, "callback")
    fields = {k: line[k] for k in ("contact_id", "action", "queue_key", "callback_status", "detail", "number")}
    assert fields == {
        "contact_id": "c1",
        "action": "reserve",
        "queue_key": "cards_general",
        "callback_status": "RESERVED",
        "detail": "",
        "number": mask_phone(NUMBER),  # the E.164 form the reply carries, masked
    }
    assert "5550187" not in lambda_logs.getvalue()


@pytest.mark.parametrize(
    ("steps", "status", "detail", "metric"),
    [
        (["reserve"], "RESERVED", "", "CallbackReserved"),
        (["reserve", "confirm"], "CONFIRMED", "confirmed", "CallbackCreated"),
        (["confirm"], "CONFIRMED", "adopted", "CallbackCreated"),
        (["reserve", "release"], "RELEASED", "", "CallbackReleased"),
        (["reserve", "confirm", "release"], "CONFIRMED", "kept", None),  # a kept callback is not created twice
        (["cancel"], "ERROR", "unknown_action", "CallbackError"),
    ],
)
def test_each_action_logs_its_detail_and_emits_one_metric(
    steps: list[str],
    status: str,
    detail: str,
    metric: str | None,
    emf: Emf,
    lambda_logs: Any,
) -> None:
    service = _service(_config(), InMemoryCallbackStore())
    for step in steps[:-1]:
        _accept(service, "c1", action=step)
    emf()  # what the earlier steps emitted
    lambda_logs.truncate(0)
    lambda_logs.seek(0)
    assert _accept(service, "c1", action=steps[-1])["callback_status"] == status
    assert [(x["action"], x["detail"]) for x in _lines(lambda_logs, "callback")] == [(steps[-1], detail)]
    units = _units(emf())
    assert set(units) - {"CallbackConfirmedLate", "ColdStart"} == ({metric} if metric else set())
    assert set(units.values()) <= {"Count"}


@pytest.mark.parametrize("action", ["confirm", "release"])
def test_confirm_or_release_without_a_contact_id_is_an_error_that_writes_nothing(action: str, lambda_logs: Any) -> None:
    store = InMemoryCallbackStore()
    event = _event("c1", parameters={"queue_key": "cards_general", "action": action})
    event["Details"]["ContactData"]["ContactId"] = ""
    assert _service(_config(), store).accept(event)["callback_status"] == "ERROR"
    assert store.writes == 0
    assert [x["detail"] for x in _lines(lambda_logs, "callback")] == ["no_contact_id"]


def test_after_a_snapstart_restore_clients_are_rebuilt_the_config_rechecked_and_the_breaker_closed() -> None:
    from routing.common.deadline import StoreGate

    config = _config()
    rebuilt: list[str] = []
    now = [0.0]
    gate = StoreGate(budget_seconds=1.0, retry_seconds=30.0, clock=lambda: now[0])
    cache = ConfigCache(config, refresh_seconds=3600, clock=lambda: now[0])
    service = CallbackService(
        cache,
        InMemoryCallbackStore(),
        hasher=HASHER,
        clock=FakeClock(WALL_START),
        gate=gate,
        reconnect=(lambda: rebuilt.append("callbacks"), lambda: rebuilt.append("config")),
    )
    first = cache.current()[0]
    assert first is not None
    # A new version is published while the snapshot sleeps; the breaker was open when the snapshot was taken.
    document = config.load_document(config.get_pointer().version_id)  # type: ignore[union-attr]
    document["callback_policies"]["standard_voice"]["enabled"] = False
    publish_document(config, document, actor="t", summary="off")
    gate._open_until = 30.0
    service.after_restore()
    assert rebuilt == ["callbacks", "config"]
    assert gate.state == "closed"
    assert cache.current()[0] is not first  # checked again at once, not an hour later
    assert _accept(service, "c1") == _not_offered("cards_general")


# --- what the replies, the logs and the metrics carry on every path (mutation survivors, issue 17) ----------------


@pytest.mark.parametrize(
    ("steps", "reply"),
    [
        (["reserve", "release"], {"callback_status": "RELEASED"}),
        (["reserve", "confirm", "release"], {"callback_status": "CONFIRMED"}),  # kept
        (["cancel"], {"callback_status": "ERROR"}),
    ],
)
def test_replies_other_than_a_reservation_carry_no_number_and_no_profile(
    steps: list[str], reply: dict[str, str]
) -> None:
    service = _service(_config(), InMemoryCallbackStore())
    for step in steps[:-1]:
        _accept(service, "c1", action=step)
    expected = {"callback_number": "", "callback_profile": "", "queue_key": "cards_general", **reply}
    assert _accept(service, "c1", action=steps[-1]) == expected


@pytest.mark.parametrize("action", ["confirm", "release"])
def test_a_reply_without_a_contact_id_names_no_profile(action: str) -> None:
    event = _event("c1", parameters={"queue_key": "cards_general", "action": action})
    event["Details"]["ContactData"]["ContactId"] = ""
    assert _service(_config(), InMemoryCallbackStore()).accept(event)["callback_profile"] == ""


def test_a_full_queue_reply_names_the_profile_but_not_the_number() -> None:
    service = _service(_config(max_open_callbacks=1), InMemoryCallbackStore())
    assert _accept(service, "c0")["callback_status"] == "RESERVED"
    other = {"queue_key": "cards_general", "callback_number": "+12125550199"}
    assert service.accept(_event("c1", parameters=other)) == {
        "callback_status": "QUEUE_FULL",
        "callback_number": "",
        "callback_profile": "standard",
        "queue_key": "cards_general",
    }


def test_a_national_number_is_read_in_the_queues_line_of_business_country() -> None:
    config = _config(allowed_countries=["GB"])
    document = config.load_document(config.get_pointer().version_id)  # type: ignore[union-attr]
    document["lines_of_business"]["cards"]["country"] = "GB"
    publish_document(config, document, actor="t", summary="cards in GB")
    service = _service(config, InMemoryCallbackStore())
    reply = service.accept(_event("c1", parameters={"queue_key": "cards_general", "callback_number": "020 7946 0000"}))
    assert (reply["callback_status"], reply["callback_number"]) == ("RESERVED", "+442079460000")


def test_the_keyed_number_is_read_up_to_64_characters() -> None:
    padded = "+12125550187".ljust(64) + "9"  # a 65th character would change the number
    service = _service(_config(), InMemoryCallbackStore())
    reply = service.accept(_event("c1", parameters={"queue_key": "cards_general", "callback_number": padded}))
    assert (reply["callback_status"], reply["callback_number"]) == ("RESERVED", "+12125550187")


def test_the_reservation_holds_the_services_reservation_time_and_the_policys_profile() -> None:
    store, clock = InMemoryCallbackStore(), FakeClock(WALL_START)
    service = CallbackService(
        ConfigCache(_config()),
        store,
        hasher=HASHER,
        clock=clock,
        reservation_seconds=0,  # at least 1 s
    )
    assert _accept(service, "c1")["callback_status"] == "RESERVED"
    assert store.answers["c1"][0].profile == "standard"
    clock.now += 1.5
    assert _accept(service, "c2")["callback_status"] == "RESERVED"  # c1's hold lapsed after 1 s


@pytest.mark.parametrize(
    ("keyed", "logged"),
    [
        ("555", "555"),  # refused: the log masks what the caller keyed
        (None, "+13125550100"),  # nothing keyed: the caller id
        ("9" * 40, "9" * 32),  # cut to 32 characters before masking
    ],
)
def test_a_refusal_logs_the_masked_input(keyed: str | None, logged: str, lambda_logs: Any) -> None:
    from routing.common.observability import mask_phone

    params = {"queue_key": "cards_general", **({"callback_number": keyed} if keyed is not None else {})}
    event = connect_event(dialed="+18005550100", caller="+13125550100", parameters=params, contact_id="c1")
    _service(_config(), InMemoryCallbackStore()).accept(event)
    assert [x["number"] for x in _lines(lambda_logs, "callback")] == [mask_phone(logged)]


def test_an_action_is_logged_cut_to_16_characters(lambda_logs: Any) -> None:
    _accept(_service(_config(), InMemoryCallbackStore()), "c1", action="x" * 40)
    assert [x["action"] for x in _lines(lambda_logs, "callback")] == ["x" * 16]


def test_error_paths_log_their_cause_cut_short(lambda_logs: Any) -> None:
    class Broken(InMemoryCallbackStore):
        def answer_for(self, contact_id: str) -> Any:
            raise RuntimeError("e" * 500)

    _accept(_service(_config(), Broken()), "c1")
    (failed,) = _lines(lambda_logs, "callback failed")
    assert failed["error"] == repr(RuntimeError("e" * 500))[:300]


def test_an_unavailable_store_logs_its_reason_cut_to_200_and_counts_it(emf: Emf, lambda_logs: Any) -> None:
    from routing.common.deadline import StoreGate, StoreSkippedError

    class Skipped(InMemoryCallbackStore):
        def answer_for(self, contact_id: str) -> Any:
            raise StoreSkippedError("s" * 300)

    gate = StoreGate(budget_seconds=1.0)
    service = CallbackService(ConfigCache(_config()), Skipped(), hasher=HASHER, clock=FakeClock(WALL_START), gate=gate)
    _accept(service, "c1")
    assert [x["error"] for x in _lines(lambda_logs, "callback store unavailable")] == ["s" * 200]
    units = _units(emf())
    assert (units.get("CallbackStoreUnavailable"), units.get("CallbackError")) == ("Count", "Count")


def test_a_missing_number_key_is_logged_as_such(lambda_logs: Any) -> None:
    _accept(_service(_config(), InMemoryCallbackStore(), hasher=NumberHasher("")), "c1")
    (line,) = _lines(lambda_logs, "callback number key missing: CALLBACK_NUMBER_KEY is not set (or too short)")
    assert line["level"] == "ERROR"
    assert [x["detail"] for x in _lines(lambda_logs, "callback")] == ["no_number_key"]


def test_a_queue_on_no_line_of_business_reads_national_numbers_in_the_deployments_country() -> None:
    config = _config(allowed_countries=["GB"])
    document = config.load_document(config.get_pointer().version_id)  # type: ignore[union-attr]
    del document["queues"]["cards_general"]["line_of_business"]
    document["defaults"]["country"] = "GB"
    publish_document(config, document, actor="t", summary="cards_general on no line, a GB deployment")
    service = _service(config, InMemoryCallbackStore())
    reply = service.accept(_event("c1", parameters={"queue_key": "cards_general", "callback_number": "020 7946 0000"}))
    assert (reply["callback_status"], reply["callback_number"]) == ("RESERVED", "+442079460000")
