"""The state of one simulated contact and the small types the simulator's blocks share (``engine.FlowSimulator``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from trunkline.simulator.flow import Flow
from trunkline.simulator.model import CallbackRequest, Contact, LambdaInvocation, PlayedMessage, TraceStep

ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")
QUEUE_ARN = re.compile(r"^(arn:aws[a-z\-]*:connect:[a-z0-9\-]+:\d{12}:instance/[A-Za-z0-9\-]+)/queue/([A-Za-z0-9\-]+)$")
AGENT_ARN = re.compile(r"^(arn:aws[a-z\-]*:connect:[a-z0-9\-]+:\d{12}:instance/[A-Za-z0-9\-]+)/agent/([A-Za-z0-9\-]+)$")
RESOURCE_ID = re.compile(r"^[A-Za-z0-9\-]{1,100}$")
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
MAX_CONTACT_ATTRIBUTE_BYTES = 32_768
PROMPT_KINDS: dict[str, Literal["Text", "SSML", "PromptId"]] = {"Text": "Text", "SSML": "SSML", "PromptId": "PromptId"}
RETRY_BUDGET_SECONDS = 8.0  # "retries up to three times, for a maximum of 8 seconds"


@dataclass(frozen=True, slots=True)
class SimulatorOptions:
    """Knobs of the simulation (defaults model Connect as documented)."""

    max_steps: int = 500
    lambda_retries: int = 3
    missing_reference: Literal["empty", "error"] = "empty"
    enforce_measured_timeout: bool = True
    dialable_prefixes: tuple[str, ...] | None = None  # None: every E.164 number is dialable
    known_queue_arns: frozenset[str] | None = None  # None: any well-formed queue of the instance exists
    queue_names: Mapping[str, str] = field(default_factory=dict)  # queue ARN -> name, for $.Queue.Name


class BranchError(Exception):
    """Raised inside an action handler to leave by an error branch."""

    def __init__(self, error_type: str, detail: str = "") -> None:
        super().__init__(error_type)
        self.error_type = error_type
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Step:
    """One action about to run: the contact's state, the action, its Parameters."""

    run: RunState
    action: Mapping[str, Any]
    params: Mapping[str, Any]


@dataclass(slots=True)
class Outcome:
    branch: str
    detail: str = ""


@dataclass(slots=True)
class RunState:
    """Mutable state of one simulated contact."""

    contact: Contact
    flow: Flow
    attributes: dict[str, str]
    flow_attributes: dict[str, str] = field(default_factory=dict)
    external: dict[str, object] = field(default_factory=dict)
    target_queue: str | None = None
    target_queue_name: str | None = None
    priority: int | None = None
    time_adjustment: int | None = None
    callback_number: str | None = None
    callback: CallbackRequest | None = None
    stored_input: str | None = None
    input_cursor: int = 0
    transferred_queue: str | None = None
    trace: list[TraceStep] = field(default_factory=list)
    messages: list[PlayedMessage] = field(default_factory=list)
    invocations: list[LambdaInvocation] = field(default_factory=list)
    calls_by_function: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    next_flow: Flow | None = None
    routing_criteria: dict[str, Any] | None = None
    voice: str | None = None


def local_number(value: str, country: str, invalid: str) -> str:
    """A number keyed in the national format of ``country``, as E.164; ``BranchError(invalid)`` if it is not one."""
    import phonenumbers  # only flows validating non-NANP local numbers need it

    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException as exc:
        raise BranchError(invalid, f"input is not a {country} number") from exc
    if not phonenumbers.is_valid_number(number):
        raise BranchError(invalid, f"input is not a valid {country} number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
