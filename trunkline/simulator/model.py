"""The simulated contact (what goes in) and the simulation result (what comes out)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, cast

Channel = Literal["VOICE", "CHAT", "TASK", "EMAIL"]

DEFAULT_INSTANCE_ARN = "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10"


class SimulationError(Exception):
    """The flow cannot be simulated: an unknown action, a bad parameter, a loop, a missing handler.

    These are bugs in a flow or in the test set-up, never a branch a caller could take in Connect.
    """


class FaultKind(StrEnum):
    """What an injected Lambda fault does to one invocation."""

    ERROR = "error"  # the function raises / returns a function error: Connect retries, then the error branch
    TIMEOUT = "timeout"  # the function runs longer than InvocationTimeLimitSeconds: error branch, no retry
    NON_STRING_VALUE = "non_string_value"  # a STRING_MAP reply with a number in it: "response not understood"
    OVERSIZE_REPLY = "oversize_reply"  # a reply of 32 KB or more
    NOT_A_MAP = "not_a_map"  # a reply that is not a JSON object at all


@dataclass(frozen=True, slots=True)
class LambdaFault:
    """A fault for the first ``attempts`` invocations of a function in one contact (``None``: every one).

    ``LambdaFault(FaultKind.ERROR, attempts=2)`` fails twice, and Connect's third try succeeds.
    """

    kind: FaultKind
    attempts: int | None = None


@dataclass(frozen=True, slots=True)
class Faults:
    """Faults injected into one simulated contact.

    ``lambda_faults`` is keyed by function ARN, or ``"*"`` for every function. ``queues_at_capacity`` holds
    queue ARNs (or bare queue ids) whose TransferContactToQueue / CreateCallbackContact fails as full.
    ``action_errors`` forces an action, by ``Identifier`` or ``flow:Identifier``, down one of its declared error
    branches: a Connect-side failure the contact data cannot cause (a prompt that fails to play, an attribute
    write that fails).
    """

    lambda_faults: Mapping[str, LambdaFault] = field(default_factory=dict)
    queues_at_capacity: frozenset[str] = frozenset()
    invalid_callback_number: bool = False
    undialable_callback_number: bool = False
    action_errors: Mapping[str, str] = field(default_factory=dict)

    def lambda_fault_for(self, function_arn: str) -> LambdaFault | None:
        """The fault configured for this function, else the wildcard one, else none."""
        return self.lambda_faults.get(function_arn) or self.lambda_faults.get("*")


NO_FAULTS = Faults()


@dataclass(frozen=True, slots=True)
class ScriptedInput:
    """One answer the caller gives to a GetParticipantInput action: DTMF digits, chat text, or silence."""

    kind: Literal["dtmf", "text", "timeout"]
    value: str = ""

    @classmethod
    def dtmf(cls, digits: str) -> ScriptedInput:
        """Keypad digits (``#`` terminates when the flow's terminator is ``#``; it is not part of the value)."""
        return cls("dtmf", digits)

    @classmethod
    def text(cls, text: str) -> ScriptedInput:
        """A typed answer (chat and other non-voice channels)."""
        return cls("text", text)

    @classmethod
    def timeout(cls) -> ScriptedInput:
        """The caller says nothing until InputTimeLimitSeconds has passed."""
        return cls("timeout")


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class Contact:
    """A simulated contact as it arrives at the first flow.

    ``customer_number=None`` is an anonymous caller (or a chat/task with no phone endpoint): the Lambda event then
    carries ``"CustomerEndpoint": null``. ``queue_arn`` is the contact's queue on arrival (a transfer flow sees
    the quick connect's queue there). ``inputs`` is the caller's script, consumed in order by GetParticipantInput.
    """

    channel: Channel = "VOICE"
    customer_number: str | None = "+12065550123"
    system_number: str | None = "+18005550100"
    instance_arn: str = DEFAULT_INSTANCE_ARN
    attributes: Mapping[str, str] = field(default_factory=dict)
    initiation_method: str = "INBOUND"
    contact_id: str = field(default_factory=_new_id)
    initial_contact_id: str | None = None
    previous_contact_id: str | None = None
    queue_arn: str | None = None
    queue_name: str | None = None
    language_code: str | None = None
    inputs: Sequence[ScriptedInput] = ()
    faults: Faults = NO_FAULTS

    @classmethod
    def from_event(
        cls, event: Mapping[str, object], *, inputs: Sequence[ScriptedInput] = (), faults: Faults = NO_FAULTS
    ) -> Contact:
        """The contact a Connect ``ContactFlowEvent`` describes (e.g. the synthetic events in trunkline.contacts).

        ``Details.Parameters`` are not part of a contact: the flow's InvokeLambdaFunction block defines them. Put
        values a flow reads from attributes (``entry_key``) in ``Attributes``, and a transfer's chosen queue in
        ``Queue``.
        """
        details = event.get("Details")
        data = details.get("ContactData") if isinstance(details, Mapping) else None
        if not isinstance(data, Mapping):
            raise ValueError("not a ContactFlowEvent: Details.ContactData is missing")

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        def address(key: str) -> str | None:
            endpoint = data.get(key)
            value = endpoint.get("Address") if isinstance(endpoint, Mapping) else None
            return value if isinstance(value, str) and value else None

        channel = text("Channel") or "VOICE"
        if channel not in ("VOICE", "CHAT", "TASK", "EMAIL"):
            raise ValueError(f"unknown channel {channel!r}")
        queue = data.get("Queue")
        attributes = data.get("Attributes")
        return cls(
            channel=cast(Channel, channel),  # checked against the Literal just above
            customer_number=address("CustomerEndpoint"),
            system_number=address("SystemEndpoint"),
            instance_arn=text("InstanceARN") or DEFAULT_INSTANCE_ARN,
            attributes={str(k): str(v) for k, v in attributes.items()} if isinstance(attributes, Mapping) else {},
            initiation_method=text("InitiationMethod") or "INBOUND",
            contact_id=text("ContactId") or _new_id(),
            initial_contact_id=text("InitialContactId"),
            previous_contact_id=text("PreviousContactId"),
            queue_arn=str(queue["ARN"]) if isinstance(queue, Mapping) and queue.get("ARN") else None,
            queue_name=str(queue["Name"]) if isinstance(queue, Mapping) and queue.get("Name") else None,
            language_code=text("LanguageCode"),
            inputs=inputs,
            faults=faults,
        )

    @property
    def aws_region(self) -> str:
        """The Region of the instance (``$.AwsRegion``), taken from the instance ARN."""
        parts = self.instance_arn.split(":")
        return parts[3] if len(parts) > 3 else ""


class EndReason(StrEnum):
    """How the simulated flow run ended."""

    TRANSFERRED_TO_QUEUE = "TRANSFERRED_TO_QUEUE"
    DISCONNECTED = "DISCONNECTED"
    FLOW_ENDED = "FLOW_ENDED"  # EndFlowExecution


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One action executed: where, what, and which branch it left by."""

    flow: str
    identifier: str
    type: str
    branch: str
    detail: str = ""

    def __str__(self) -> str:
        suffix = f" ({self.detail})" if self.detail else ""
        return f"{self.flow}:{self.identifier} [{self.type}] -> {self.branch}{suffix}"


@dataclass(frozen=True, slots=True)
class LambdaAttempt:
    """One call of a handler (Connect may make several per block)."""

    outcome: Literal["ok", "error", "timeout", "invalid_reply"]
    latency_ms: float
    error: str = ""


@dataclass(frozen=True, slots=True)
class LambdaInvocation:
    """One InvokeLambdaFunction action: the attempts Connect made and what the flow got."""

    flow: str
    identifier: str
    function_arn: str
    parameters: Mapping[str, str]
    attempts: tuple[LambdaAttempt, ...]
    succeeded: bool
    reply: Mapping[str, object] | None

    @property
    def count(self) -> int:
        """How many times the handler ran (1 + retries)."""
        return len(self.attempts)

    @property
    def latency_ms(self) -> float:
        """Handler time summed over the attempts (perf_counter), without simulated timeouts."""
        return sum(a.latency_ms for a in self.attempts)


@dataclass(frozen=True, slots=True)
class PlayedMessage:
    """A prompt played (voice) or a message sent (chat) by MessageParticipant or GetParticipantInput."""

    flow: str
    identifier: str
    text: str
    kind: Literal["Text", "SSML", "PromptId"] = "Text"


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """A callback created by CreateCallbackContact, with its static timing parameters."""

    number: str
    queue_arn: str
    initial_call_delay_seconds: int
    maximum_connection_attempts: int
    retry_delay_seconds: int


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Everything a test or the demo wants to know about one simulated contact."""

    contact: Contact
    start_flow: str
    trace: tuple[TraceStep, ...]
    end_reason: EndReason
    ended_in_flow: str
    ended_at: str
    queue_arn: str | None  # the queue the contact was transferred to, None if it never was
    target_queue_arn: str | None  # the working queue at the end (set even when the transfer failed)
    queue_priority: int | None
    queue_time_adjustment_seconds: int | None
    attributes: Mapping[str, str]
    flow_attributes: Mapping[str, str]
    external: Mapping[str, object]
    callback_number: str | None
    callback: CallbackRequest | None
    messages: tuple[PlayedMessage, ...]
    invocations: tuple[LambdaInvocation, ...]
    stored_customer_input: str | None
    tags: Mapping[str, str] = field(default_factory=dict)  # user tags TagContact put on the contact
    routing_criteria: Mapping[str, object] | None = None  # what UpdateContactRoutingCriteria set ({"Steps": […]})
    voice: str | None = None  # the text-to-speech voice UpdateContactTextToSpeechVoice set (None: Connect's Joanna)

    @property
    def transferred(self) -> bool:
        """True when the contact reached a queue."""
        return self.end_reason is EndReason.TRANSFERRED_TO_QUEUE

    @property
    def path(self) -> list[str]:
        """``Identifier:branch`` for every step, the compact form tests assert on."""
        return [f"{s.identifier}:{s.branch}" for s in self.trace]

    @property
    def edges(self) -> set[tuple[str, str, str]]:
        """``(flow, identifier, branch)`` for every step; the coverage test unions these."""
        return {(s.flow, s.identifier, s.branch) for s in self.trace}

    @property
    def visited(self) -> list[str]:
        """Identifiers in the order they ran."""
        return [s.identifier for s in self.trace]

    @property
    def message_texts(self) -> list[str]:
        """The texts played or sent, in order."""
        return [m.text for m in self.messages]

    @property
    def lambda_invocation_count(self) -> int:
        """Handler calls over the whole contact, retries included."""
        return sum(i.count for i in self.invocations)

    def describe(self) -> str:
        """A readable multi-line trace (for the demo and for assertion messages)."""
        lines = [str(s) for s in self.trace]
        lines.append(f"=> {self.end_reason.value} at {self.ended_in_flow}:{self.ended_at}, queue={self.queue_arn}")
        return "\n".join(lines)
