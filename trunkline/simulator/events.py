"""The Amazon Connect contact events (EventBridge) a simulated contact would produce.

A ``SimulationResult`` says how the flow ended; what happens in the queue is not in the flow, so the caller passes
a seeded ``QueueOutcomeModel`` that decides, per contact id, whether an agent answers and when. ``contact_events``
turns both into the envelopes Connect publishes (reference §9.1): ``INITIATED``, ``CONNECTED_TO_SYSTEM``, ``QUEUED``
(when transferred to a queue), ``CONNECTED_TO_AGENT`` (when answered), ``DISCONNECTED``, ``COMPLETED``; and, when the
flow created a callback, the callback contact's own events (``initiationMethod=CALLBACK``, ``previousContactId`` the
original contact). ``shuffle_and_duplicate`` reorders and repeats them, as EventBridge may.

Choices where Connect's documentation is silent (``docs/flows.md`` lists them):

* every event carries ``tags`` (possibly ``{}``): the contact's tags at that moment. The flow runs after
  ``CONNECTED_TO_SYSTEM``, so ``INITIATED`` and ``CONNECTED_TO_SYSTEM`` carry none of the flow's tags; every later
  event carries the tags the run ended with. A callback contact starts untagged (the outcome function takes its
  line of business from the contact that asked for it);
* a callback contact has no ``CONNECTED_TO_SYSTEM`` event (it is created straight into its queue, after the
  callback's initial delay) and, when no agent takes it, disconnects with reason ``OTHER``;
* ``COMPLETED`` of an answered contact comes after after-contact work (``agentInfo.afterContactWork*``); without an
  agent it has the ``DISCONNECTED`` event's data, as AWS documents;
* flow time is simulated from the action types (a prompt takes seconds, a Lambda call a fraction of one), never
  from measured latencies, so the same seed gives the same timestamps.

Events never carry a phone number: Connect's contact events have no customer endpoint, and none is added here.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from trunkline.simulator.model import EndReason, SimulationResult

SOURCE: Final = "aws.connect"
DETAIL_TYPE: Final = "Amazon Connect Contact Event"
QUEUE_TYPE: Final = "STANDARD"
#: uuid5 namespace for callback contact ids (any fixed UUID; this one is uuid5(NAMESPACE_URL, "trunkline:callback")).
_CALLBACK_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "trunkline:callback")
#: Simulated duration (ms) of one action, by type: (low, high), drawn uniformly.
_STEP_MS: Final[Mapping[str, tuple[int, int]]] = {
    "InvokeLambdaFunction": (60, 400),
    "MessageParticipant": (3_000, 9_000),
    "GetParticipantInput": (4_000, 12_000),
    "CheckHoursOfOperation": (10, 60),
    "CreateCallbackContact": (40, 200),
    "TransferContactToQueue": (50, 250),
}
_DEFAULT_STEP_MS: Final = (5, 40)
_CONNECT_MS: Final = (200, 1_500)  # INITIATED -> CONNECTED_TO_SYSTEM


@dataclass(frozen=True, slots=True)
class QueueOutcome:
    """What happened to one contact in its queue.

    ``wait_seconds`` runs from enqueue to the agent when ``answered``, else to the caller hanging up (or, for a
    callback, to the callback being given up). ``talk_seconds`` and ``after_contact_work_seconds`` apply to an
    answered contact only; ``agent_hung_up`` picks the disconnect reason of an answered contact.
    """

    answered: bool
    wait_seconds: float
    talk_seconds: float = 0.0
    after_contact_work_seconds: float = 0.0
    agent_hung_up: bool = False
    agent_id: str = ""


@dataclass(frozen=True, slots=True)
class QueueOutcomeModel:
    """A seeded, explicit model of what happens in the queue: the same seed and contact id give the same outcome.

    A contact is answered with ``answer_probability`` after a wait drawn from ``answer_after_seconds``, else it is
    abandoned after a patience drawn from ``patience_seconds``. A callback contact is answered with
    ``callback_answer_probability``, else given up after ``callback_expiry_seconds``. Ranges are (low, high)
    seconds, drawn uniformly.
    """

    seed: int = 0
    answer_probability: float = 0.85
    answer_after_seconds: tuple[float, float] = (5.0, 180.0)
    patience_seconds: tuple[float, float] = (10.0, 240.0)
    talk_seconds: tuple[float, float] = (60.0, 600.0)
    after_contact_work_seconds: tuple[float, float] = (10.0, 90.0)
    agent_hang_up_probability: float = 0.5
    callback_answer_probability: float = 0.9
    callback_expiry_seconds: float = 3_600.0

    def __post_init__(self) -> None:
        for name in ("answer_probability", "agent_hang_up_probability", "callback_answer_probability"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")
        for name in ("answer_after_seconds", "patience_seconds", "talk_seconds", "after_contact_work_seconds"):
            low, high = getattr(self, name)
            if not 0.0 <= low <= high:
                raise ValueError(f"{name} must be (low, high) with 0 <= low <= high, got {(low, high)}")
        if self.callback_expiry_seconds < 0:
            raise ValueError(f"callback_expiry_seconds must be >= 0, got {self.callback_expiry_seconds}")

    def outcome(self, contact_id: str, *, callback: bool = False) -> QueueOutcome:
        """The outcome of contact ``contact_id``: a function of the seed and the id only (not of call order)."""
        draw = random.Random(f"{self.seed}:{'callback' if callback else 'queue'}:{contact_id}")  # str seeds: stable
        probability = self.callback_answer_probability if callback else self.answer_probability
        if draw.random() >= probability:
            wait = self.callback_expiry_seconds if callback else draw.uniform(*self.patience_seconds)
            return QueueOutcome(answered=False, wait_seconds=wait)
        return QueueOutcome(
            answered=True,
            wait_seconds=draw.uniform(*self.answer_after_seconds),
            talk_seconds=draw.uniform(*self.talk_seconds),
            after_contact_work_seconds=draw.uniform(*self.after_contact_work_seconds),
            agent_hung_up=draw.random() < self.agent_hang_up_probability,
            agent_id=str(uuid.UUID(int=draw.getrandbits(128), version=4)),
        )


def callback_contact_id(contact_id: str) -> str:
    """The id of the callback contact the flow created for ``contact_id`` (deterministic: uuid5 of it)."""
    return str(uuid.uuid5(_CALLBACK_NAMESPACE, contact_id))


def _iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso_s(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


@dataclass(frozen=True, slots=True)
class _Timeline:
    """One contact's moments, in milliseconds after ``start`` (None: did not happen)."""

    initiated: int
    connected_to_system: int | None
    enqueued: int | None
    answered: int | None
    disconnected: int
    completed: int
    disconnect_reason: str
    agent_id: str = ""


@dataclass(frozen=True, slots=True)
class _Identity:
    """What every event of one contact repeats."""

    contact_id: str
    initial_contact_id: str
    previous_contact_id: str | None
    channel: str
    initiation_method: str
    instance_arn: str
    queue_arn: str | None


class _Emitter:
    """Builds envelopes for one call of ``contact_events``."""

    def __init__(self, start: datetime, rng: random.Random) -> None:
        self.start = start
        self.rng = rng

    def at(self, offset_ms: int) -> datetime:
        return self.start + timedelta(milliseconds=offset_ms)

    def contact(
        self, who: _Identity, when: _Timeline, *, tags_before_flow: Mapping[str, str], tags: Mapping[str, str]
    ) -> list[tuple[int, dict[str, Any]]]:
        steps: list[tuple[str, int]] = [("INITIATED", when.initiated)]
        if when.connected_to_system is not None:
            steps.append(("CONNECTED_TO_SYSTEM", when.connected_to_system))
        if when.enqueued is not None:
            steps.append(("QUEUED", when.enqueued))
        if when.answered is not None:
            steps.append(("CONNECTED_TO_AGENT", when.answered))
        steps += [("DISCONNECTED", when.disconnected), ("COMPLETED", when.completed)]
        out: list[tuple[int, dict[str, Any]]] = []
        for event_type, offset in steps:
            before_flow = event_type in ("INITIATED", "CONNECTED_TO_SYSTEM")  # the flow runs after these
            detail = self._detail(who, when, event_type, tags_before_flow if before_flow else tags)
            out.append((offset, self._envelope(who, detail, offset)))
        return out

    def _detail(self, who: _Identity, when: _Timeline, event_type: str, tags: Mapping[str, str]) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "eventType": event_type,
            "contactId": who.contact_id,
            "initialContactId": who.initial_contact_id,
        }
        if who.previous_contact_id:
            detail["previousContactId"] = who.previous_contact_id
        detail.update(
            {
                "channel": who.channel,
                "instanceArn": who.instance_arn,
                "initiationMethod": who.initiation_method,
                "initiationTimestamp": _iso_ms(self.at(when.initiated)),
            }
        )
        order = ("INITIATED", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED")
        reached = order.index(event_type)
        if when.connected_to_system is not None and reached >= order.index("CONNECTED_TO_SYSTEM"):
            detail["connectedToSystemTimestamp"] = _iso_ms(self.at(when.connected_to_system))
        if when.enqueued is not None and who.queue_arn and reached >= order.index("QUEUED"):
            detail["queueInfo"] = {
                "queueArn": who.queue_arn,
                "queueType": QUEUE_TYPE,
                "enqueueTimestamp": _iso_ms(self.at(when.enqueued)),
            }
        if when.answered is not None and reached >= order.index("CONNECTED_TO_AGENT"):
            agent: dict[str, Any] = {
                "agentArn": f"{who.instance_arn}/agent/{when.agent_id}",
                "connectedToAgentTimestamp": _iso_ms(self.at(when.answered)),
            }
            if event_type == "COMPLETED":
                agent["afterContactWorkStartTimestamp"] = _iso_ms(self.at(when.disconnected))
                agent["afterContactWorkEndTimestamp"] = _iso_ms(self.at(when.completed))
                agent["afterContactWorkDuration"] = round((when.completed - when.disconnected) / 1000)
            detail["agentInfo"] = agent
        if reached >= order.index("DISCONNECTED"):
            detail["disconnectTimestamp"] = _iso_ms(self.at(when.disconnected))
            detail["disconnectReason"] = when.disconnect_reason
        detail["tags"] = dict(tags)
        return detail

    def _envelope(self, who: _Identity, detail: dict[str, Any], offset_ms: int) -> dict[str, Any]:
        parts = who.instance_arn.split(":")
        return {
            "version": "0",
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "detail-type": DETAIL_TYPE,
            "source": SOURCE,
            "account": parts[4] if len(parts) > 4 else "",
            "time": _iso_s(self.at(offset_ms)),
            "region": parts[3] if len(parts) > 3 else "",
            "resources": [who.instance_arn, f"{who.instance_arn}/contact/{who.contact_id}"],
            "detail": detail,
        }


def _flow_ms(result: SimulationResult, rng: random.Random) -> tuple[int, int | None]:
    """Simulated flow duration, and when (ms into the flow) CreateCallbackContact succeeded, if it did."""
    elapsed = 0
    callback_at: int | None = None
    for step in result.trace:
        low, high = _STEP_MS.get(step.type, _DEFAULT_STEP_MS)
        elapsed += rng.randint(low, high)
        if step.type == "CreateCallbackContact" and step.branch == "NextAction":
            callback_at = elapsed
    return elapsed, callback_at


def _queue_timeline(
    initiated: int, connected: int | None, enqueued: int, outcome: QueueOutcome, *, callback: bool
) -> _Timeline:
    if not outcome.answered:
        gone = enqueued + _ms(outcome.wait_seconds)
        reason = "OTHER" if callback else "CUSTOMER_DISCONNECT"
        return _Timeline(initiated, connected, enqueued, None, gone, gone, reason)
    answered = enqueued + _ms(outcome.wait_seconds)
    disconnected = answered + _ms(outcome.talk_seconds)
    completed = disconnected + _ms(outcome.after_contact_work_seconds)
    reason = "AGENT_DISCONNECT" if outcome.agent_hung_up else "CUSTOMER_DISCONNECT"
    return _Timeline(initiated, connected, enqueued, answered, disconnected, completed, reason, outcome.agent_id)


def contact_events(
    result: SimulationResult, *, model: QueueOutcomeModel, rng: random.Random, start: datetime
) -> list[dict[str, Any]]:
    """The EventBridge contact events of ``result``'s contact (and of the callback it created), in time order.

    ``start`` is when the contact was initiated (timezone-aware). ``rng`` draws event ids and the flow's simulated
    durations; ``model`` decides what happens in the queue. Same inputs and seed state, same events.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
    contact = result.contact
    emitter = _Emitter(start, rng)
    initial_id = contact.initial_contact_id or contact.contact_id
    connected = rng.randint(*_CONNECT_MS)
    flow_ms, callback_ms = _flow_ms(result, rng)
    flow_end = connected + flow_ms
    if result.end_reason is EndReason.TRANSFERRED_TO_QUEUE:
        outcome = model.outcome(contact.contact_id)
        timeline = _queue_timeline(0, connected, flow_end, outcome, callback=False)
    else:  # disconnected, or the flow ended: either way the contact ends in the flow
        timeline = _Timeline(0, connected, None, None, flow_end, flow_end, "CONTACT_FLOW_DISCONNECT")
    who = _Identity(
        contact_id=contact.contact_id,
        initial_contact_id=initial_id,
        previous_contact_id=contact.previous_contact_id,
        channel=contact.channel,
        initiation_method=contact.initiation_method,
        instance_arn=contact.instance_arn,
        queue_arn=result.queue_arn,
    )
    timed = emitter.contact(who, timeline, tags_before_flow={}, tags=result.tags)

    request = result.callback
    if request is not None and callback_ms is not None:
        callback_id = callback_contact_id(contact.contact_id)
        created = connected + callback_ms
        enqueued = created + request.initial_call_delay_seconds * 1000
        callback_outcome = model.outcome(callback_id, callback=True)
        callback_who = _Identity(
            contact_id=callback_id,
            initial_contact_id=initial_id,
            previous_contact_id=contact.contact_id,
            channel="VOICE",
            initiation_method="CALLBACK",
            instance_arn=contact.instance_arn,
            queue_arn=request.queue_arn,
        )
        callback_timeline = _queue_timeline(created, None, enqueued, callback_outcome, callback=True)
        timed += emitter.contact(callback_who, callback_timeline, tags_before_flow={}, tags={})
    return [event for _, event in sorted(timed, key=lambda pair: pair[0])]  # stable: ties keep contact order


def shuffle_and_duplicate(
    events: Sequence[Mapping[str, Any]], rng: random.Random, duplicate_ratio: float = 0.2
) -> list[dict[str, Any]]:
    """``events`` as EventBridge may deliver them: in any order, some more than once (a redelivery keeps its id).

    ``round(len(events) * duplicate_ratio)`` extra copies of randomly chosen events are added, then all are
    shuffled. Every returned event is a deep copy; ``events`` is left as it was.
    """
    if not 0.0 <= duplicate_ratio <= 1.0:
        raise ValueError(f"duplicate_ratio must be within 0..1, got {duplicate_ratio}")
    delivered = [copy.deepcopy(dict(e)) for e in events]
    extra = round(len(delivered) * duplicate_ratio) if delivered else 0
    delivered += [copy.deepcopy(e) for e in rng.choices(delivered, k=extra)]
    rng.shuffle(delivered)
    return delivered
