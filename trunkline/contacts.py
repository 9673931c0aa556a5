"""Synthetic Connect contacts: real ``ContactFlowEvent`` shapes for the demo, the benchmark and tests."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

INSTANCE_ARN = "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10"
DR_INSTANCE_ARN = "arn:aws:connect:us-west-2:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10"


def connect_event(
    *,
    channel: str = "VOICE",
    dialed: str | None = None,
    caller: str | None = None,
    attributes: dict[str, str] | None = None,
    parameters: dict[str, Any] | None = None,
    instance_arn: str | None = INSTANCE_ARN,
    contact_id: str | None = None,
    initiation_method: str = "INBOUND",
) -> dict[str, Any]:
    """A Connect flow event as Lambda receives it (endpoints ``null`` when absent, as Connect sends them)."""
    cid = contact_id or str(uuid.uuid4())
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": dict(attributes or {}),
                "Channel": channel,
                "ContactId": cid,
                "InitialContactId": cid,
                "PreviousContactId": cid,
                "InitiationMethod": initiation_method,
                "InstanceARN": instance_arn,
                "CustomerEndpoint": {"Address": caller, "Type": "TELEPHONE_NUMBER"} if caller else None,
                "SystemEndpoint": {"Address": dialed, "Type": "TELEPHONE_NUMBER"} if dialed else None,
                "Queue": None,
            },
            "Parameters": dict(parameters or {}),
        },
    }


@dataclass(frozen=True)
class SyntheticContact:
    """A labelled synthetic contact for the sample config."""

    label: str
    channel: str
    dialed: str | None
    caller: str | None
    attributes: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    initiation_method: str = "INBOUND"
    flow: str = "inbound"  # the contact flow it arrives through (transfers: "transfer")

    def event(self, contact_id: str | None = None, instance_arn: str | None = INSTANCE_ARN) -> dict[str, Any]:
        """The Connect event for this contact."""
        return connect_event(
            channel=self.channel,
            dialed=self.dialed,
            caller=self.caller,
            attributes=self.attributes,
            parameters=self.parameters,
            instance_arn=instance_arn,
            contact_id=contact_id,
            initiation_method=self.initiation_method,
        )


VOICE_NUMBERS = {
    "cards": "+18005550100",
    "cards_es": "+18005550101",
    "platinum": "+18005550102",
    "fraud": "+18005550200",
    "collections": "+18005550300",
    "commercial": "+18005550400",
    "uk": "+442079460000",
}
CHAT_KEYS = {"cards": "cards_web_chat", "fraud": "fraud_app_chat", "commercial": "commercial_portal_chat"}


def _caller(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.08:
        return None  # withheld
    if roll < 0.1:
        return "anonymous"
    if roll < 0.16:
        return f"+44 7700 900{rng.randint(100, 999)}"  # UK mobile, spaces as some carriers send
    if roll < 0.2:
        return f"+52155{rng.randint(10000000, 99999999)}"
    return f"+1{rng.choice(['212', '415', '646', '917', '312', '503'])}555{rng.randint(1000, 9999)}"


_KINDS = [
    "cards",
    "cards_es",
    "platinum",
    "fraud",
    "collections",
    "commercial",
    "chat",
    "task",
    "unknown",
    "transfer",
    "uk",
]
_KIND_WEIGHTS = [30, 5, 4, 14, 12, 8, 12, 4, 3, 3, 5]


def sample_contacts(count: int, *, seed: int = 11) -> list[SyntheticContact]:
    """Varied contacts for the sample config: every line of business, voice/chat/task, IVR choices, CRM
    segments, anonymous and international callers, unknown numbers, and transfers."""
    rng = random.Random(seed)
    out: list[SyntheticContact] = []
    for i in range(count):
        kind = rng.choices(_KINDS, weights=_KIND_WEIGHTS)[0]
        caller = _caller(rng)
        channel, dialed, caller, method, attrs, params = _shape(rng, kind, caller)
        attrs = {k: v for k, v in attrs.items() if v}
        flow = "transfer" if kind == "transfer" else "inbound"
        out.append(SyntheticContact(f"{kind}-{i:03d}", channel, dialed, caller, attrs, params, method, flow))
    return out


def _shape(
    rng: random.Random, kind: str, caller: str | None
) -> tuple[str, str | None, str | None, str, dict[str, str], dict[str, str]]:
    """``(channel, dialed, caller, method, attributes, parameters)`` of one contact of ``kind``."""
    attrs: dict[str, str] = {}
    params: dict[str, str] = {}
    channel, dialed, method = "VOICE", VOICE_NUMBERS.get(kind.split("_", maxsplit=1)[0]), "INBOUND"
    if kind in ("cards", "cards_es", "uk"):
        dialed = VOICE_NUMBERS[kind]
        attrs["ivr_choice"] = rng.choice(["1", "2", "3", "3", "9", "5", ""])
        if rng.random() < 0.15:
            attrs["crm_segment"] = rng.choice(["platinum", "black_card", "gold", "standard"])
    elif kind == "fraud":
        attrs["ivr_choice"] = rng.choice(["1", "2", "3", ""])
        if rng.random() < 0.3:
            attrs.update(fraud_score=str(rng.randint(300, 990)), alert_id=f"AL{rng.randint(10000, 99999)}")
    elif kind == "collections":
        attrs["days_past_due"] = str(rng.choice([0, 5, 30, 60, 95, 120]))
        if rng.random() < 0.1:
            attrs["hardship_flag"] = "true"
        if rng.random() < 0.1:
            attrs["preferred_language"] = "es-US"
    elif kind == "commercial":
        attrs["ivr_choice"] = rng.choice(["1", "2"])
        if rng.random() < 0.3:
            attrs["crm_segment"] = rng.choice(["strategic", "enterprise", "smb"])
    elif kind == "chat":
        channel, dialed, caller = "CHAT", None, None
        lob = rng.choice(list(CHAT_KEYS))
        attrs["entry_key"] = CHAT_KEYS[lob]  # set by StartChatContact, as the flows expect
    elif kind == "task":
        channel, dialed, caller, method = "TASK", None, None, "API"
        attrs["entry_key"] = "collections_followup"  # set by StartTaskContact
    elif kind == "unknown":
        dialed = f"+1888555{rng.randint(1000, 9999)}"
    elif kind == "transfer":
        dialed, method = VOICE_NUMBERS["cards"], "TRANSFER"
        # A logical-key transfer as `trunkline invoke` / an API caller can send it (parameter). The deployed
        # transfer flow passes no key: it routes to the queue the agent chose (docs/flows.md, transfer.json).
        attrs["transfer_queue_key"] = rng.choice(["disputes", "retention", "cards_balance", "no_such_queue"])
        params["transfer_queue_key"] = attrs["transfer_queue_key"]
    return channel, dialed, caller, method, attrs, params
