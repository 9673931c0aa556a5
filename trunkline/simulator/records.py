"""The Amazon Connect contact records a simulated contact would produce, and Connect's own totals of them.

Built from the contact events of ``trunkline.simulator.events.contact_events`` (the same timeline: one source of
truth for when things happened) plus what only a record carries: ``DisconnectReason`` for inbound contacts,
``CustomerEndpoint``, the contact's ``Attributes`` at the end of the flow, ``Queue.Duration``,
``AgentInteractionDuration``, ``LastUpdateTimestamp``. Field names follow the Administrator Guide's "Data model for
Amazon Connect contact records"; timestamps have second precision, as records do.

Choices where Connect's documentation is silent (the demo's, stated so they can be checked):

* a record is written when the contact is completed (after after-contact work): ``LastUpdateTimestamp`` is the
  ``COMPLETED`` event's time;
* ``redeliveries`` adds, for a share of the contacts, a second copy ten minutes later with one more attribute (as
  ``update-contact-attributes`` after the call does) and, for another share, an identical copy (at least once);
* a callback an agent took does not always reach the customer: with ``callback_unreached`` probability (seeded by
  the contact id) the dial-out is not answered and the record ends with ``DisconnectReason`` ``OTHER`` — the
  events alone would have counted it completed.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from trunkline.simulator.model import SimulationResult

NOT_REACHED_REASON = "OTHER"


def _iso_s(value: str | None) -> str | None:
    """An event timestamp (milliseconds) at a record's second precision."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds_between(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    a = datetime.fromisoformat(start.replace("Z", "+00:00"))
    b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return max(0, round((b - a).total_seconds()))


def _record(final: Mapping[str, Any], result: SimulationResult | None, *, unreached: bool) -> dict[str, Any]:
    """One contact's record from its last event (``COMPLETED``, else the latest) and the flow's result."""
    detail = final["detail"]
    queue_info = detail.get("queueInfo") or {}
    agent_info = detail.get("agentInfo") or {}
    enqueued = queue_info.get("enqueueTimestamp")
    answered = agent_info.get("connectedToAgentTimestamp")
    disconnected = detail.get("disconnectTimestamp")
    queue = None
    if queue_info.get("queueArn") and enqueued:
        dequeue = answered or disconnected
        queue = {
            "ARN": queue_info["queueArn"],
            "EnqueueTimestamp": _iso_s(enqueued),
            "DequeueTimestamp": _iso_s(dequeue),
            "Duration": _seconds_between(enqueued, dequeue),
        }
    agent = None
    if answered:
        agent = {
            "ARN": agent_info.get("agentArn"),
            "ConnectedToAgentTimestamp": _iso_s(answered),
            "AgentInteractionDuration": 0 if unreached else _seconds_between(answered, disconnected),
            "AfterContactWorkStartTimestamp": _iso_s(agent_info.get("afterContactWorkStartTimestamp")),
            "AfterContactWorkEndTimestamp": _iso_s(agent_info.get("afterContactWorkEndTimestamp")),
            "AfterContactWorkDuration": agent_info.get("afterContactWorkDuration"),
        }
    contact = result.contact if result is not None else None
    number = contact.customer_number if contact is not None else None
    if detail.get("initiationMethod") == "CALLBACK" and result is not None and result.callback is not None:
        number = result.callback.number  # the callback dials the number the caller gave
    return {
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "AWSAccountId": final.get("account", ""),
        "ContactId": detail["contactId"],
        "InitialContactId": detail.get("initialContactId"),
        "PreviousContactId": detail.get("previousContactId"),
        "NextContactId": None,
        "Channel": detail.get("channel"),
        "InitiationMethod": detail.get("initiationMethod"),
        "InstanceARN": detail.get("instanceArn"),
        "InitiationTimestamp": _iso_s(detail.get("initiationTimestamp")),
        "ConnectedToSystemTimestamp": _iso_s(detail.get("connectedToSystemTimestamp")),
        "DisconnectTimestamp": _iso_s(disconnected),
        "LastUpdateTimestamp": _iso_s(final.get("time")) or _iso_s(disconnected),
        "DisconnectReason": NOT_REACHED_REASON if unreached else detail.get("disconnectReason"),
        "CustomerEndpoint": {"Address": number, "Type": "TELEPHONE_NUMBER"} if number else None,
        "Queue": queue,
        "Agent": agent,
        "Attributes": dict(result.attributes) if result is not None and detail.get("initiationMethod") != "CALLBACK"
        else {},
        "Tags": dict(detail.get("tags") or {}),
        "TransferCompletedTimestamp": None,
        "TransferredToEndpoint": None,
    }  # fmt: skip


def contact_records(
    events: Iterable[Mapping[str, Any]],
    results: Mapping[str, SimulationResult],
    *,
    seed: int,
    callback_unreached: float = 0.15,
) -> list[dict[str, Any]]:
    """One record per ended contact in ``events`` (the callback contacts included), in contact id order.

    ``results`` maps a contact id to its flow run (a callback contact uses its parent's, for the number dialled).
    """
    last: dict[str, Mapping[str, Any]] = {}
    for event in events:
        detail = event["detail"]
        current = last.get(detail["contactId"])
        if detail["eventType"] in ("DISCONNECTED", "COMPLETED") and (
            current is None or current["detail"]["eventType"] != "COMPLETED"
        ):
            last[detail["contactId"]] = event
    records = []
    for contact_id, final in sorted(last.items()):
        detail = final["detail"]
        parent = detail.get("previousContactId") if detail.get("initiationMethod") == "CALLBACK" else None
        result = results.get(parent or contact_id)
        agent = detail.get("agentInfo") or {}
        answered_callback = parent is not None and bool(agent.get("connectedToAgentTimestamp"))
        draw = random.Random(f"{seed}:reach:{contact_id}").random()
        records.append(_record(final, result, unreached=answered_callback and draw < callback_unreached))
    return records


def redeliver(records: Sequence[Mapping[str, Any]], rng: random.Random, *, share: float = 0.2) -> list[dict[str, Any]]:
    """``records`` as the stream may carry them: some updated later (a newer ``LastUpdateTimestamp``), some twice."""
    out = [copy.deepcopy(dict(r)) for r in records]
    for record in list(out):
        roll = rng.random()
        if roll < share / 2:
            updated = copy.deepcopy(record)
            stamp = datetime.fromisoformat(str(record["LastUpdateTimestamp"]).replace("Z", "+00:00"))
            updated["LastUpdateTimestamp"] = (stamp + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
            updated["Attributes"] = {**updated["Attributes"], "survey_score": str(rng.randint(1, 5))}
            out.append(updated)
        elif roll < share:
            out.append(copy.deepcopy(record))
    rng.shuffle(out)
    return out


def connect_totals(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], tuple[int, int]]:
    """Connect's own (abandoned, handled) per (queue id, UTC hour), from the records, by Connect's definitions:
    abandoned = "disconnected by the customer while in queue", not a callback; handled = connected to an agent.

    Written independently of ``routing.outcomes`` on purpose: the demo's reconciliation compares two computations.
    The newest copy of each contact counts once.
    """
    newest: dict[str, Mapping[str, Any]] = {}
    for record in records:
        current = newest.get(str(record["ContactId"]))
        if current is None or str(record["LastUpdateTimestamp"]) > str(current["LastUpdateTimestamp"]):
            newest[str(record["ContactId"])] = record
    totals: dict[tuple[str, str], list[int]] = {}
    for record in newest.values():
        queue = record.get("Queue") or {}
        if not queue.get("ARN") or not record.get("DisconnectTimestamp"):
            continue
        key = (str(queue["ARN"]).rsplit("/", 1)[-1], str(record["DisconnectTimestamp"])[:13])
        entry = totals.setdefault(key, [0, 0])
        if record.get("Agent"):
            entry[1] += 1
        elif record.get("DisconnectReason") == "CUSTOMER_DISCONNECT" and record.get("InitiationMethod") != "CALLBACK":
            entry[0] += 1
    return {k: (v[0], v[1]) for k, v in totals.items()}
